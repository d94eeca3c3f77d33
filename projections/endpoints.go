package projections

import "github.com/berth-dev/berth/events"

// endpoints keeps the instances taking traffic, like the berth_endpoints
// KV bucket but queryable.
var endpoints = projector{name: EndpointsProjector, tables: []string{"endpoints"}, fold: foldEndpoints}

func foldEndpoints(r events.Recorded) ([]statement, error) {
	var (
		sql  string
		args []any
	)
	switch e := r.Event.(type) {
	case events.EndpointRegistered:
		sql = `INSERT INTO endpoints (instance, app, host, addr, registered_at, seq) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (instance) DO UPDATE SET app = EXCLUDED.app, host = EXCLUDED.host, addr = EXCLUDED.addr,
				registered_at = EXCLUDED.registered_at, seq = EXCLUDED.seq`
		args = []any{e.Instance, e.App, e.Host, e.Addr, r.Time, seq(r)}
	case events.EndpointDeregistered:
		sql, args = `DELETE FROM endpoints WHERE instance = $1`, []any{e.Instance}
	// A container that is gone serves nothing, whether or not the
	// deregistration was recorded first.
	case events.InstanceExited:
		sql, args = `DELETE FROM endpoints WHERE instance = $1`, []any{e.Instance}
	case events.InstanceStopped:
		sql, args = `DELETE FROM endpoints WHERE instance = $1`, []any{e.Instance}
	default:
		return nil, nil
	}
	return []statement{stmt(sql, args...)}, nil
}
