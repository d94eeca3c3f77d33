package projections

import (
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/events"
)

// hosts keeps every host that registered, ready or lost.
var hosts = projector{name: HostsProjector, tables: []string{"hosts"}, fold: foldHosts}

func foldHosts(r events.Recorded) ([]statement, error) {
	var (
		sql  string
		args []any
	)
	switch e := r.Event.(type) {
	case events.HostRegistered:
		labels := e.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		lb, err := json.Marshal(labels)
		if err != nil {
			return nil, fmt.Errorf("encode labels: %w", err)
		}
		sql = `INSERT INTO hosts (id, addr, zone, labels, cpus, memory_bytes, port_min, port_max, state, registered_at, seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ready', $9, $10)
			ON CONFLICT (id) DO UPDATE SET addr = EXCLUDED.addr, zone = EXCLUDED.zone, labels = EXCLUDED.labels,
				cpus = EXCLUDED.cpus, memory_bytes = EXCLUDED.memory_bytes, port_min = EXCLUDED.port_min,
				port_max = EXCLUDED.port_max, state = 'ready', registered_at = EXCLUDED.registered_at,
				lost_at = NULL, seq = EXCLUDED.seq`
		args = []any{e.Host, e.Addr, e.Zone, lb, e.CPUs, e.MemoryBytes, e.PortMin, e.PortMax, r.Time, seq(r)}
	case events.HostLost:
		var lastSeen any // NULL when the reporter didn't know
		if !e.LastSeen.IsZero() {
			lastSeen = e.LastSeen
		}
		sql = `UPDATE hosts SET state = 'lost', lost_at = $2, last_seen = $3, seq = $4 WHERE id = $1`
		args = []any{e.Host, r.Time, lastSeen, seq(r)}
	default:
		return nil, nil
	}
	return []statement{stmt(sql, args...)}, nil
}
