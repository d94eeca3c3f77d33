package projections

import (
	"github.com/berth-dev/berth/events"
)

// hooksProj keeps every webhook subscription with its state; removed
// ones stay with state "removed".
var hooksProj = projector{name: HooksProjector, tables: []string{"hooks"}, fold: foldHooks}

func foldHooks(r events.Recorded) ([]statement, error) {
	switch e := r.Event.(type) {
	case events.HookCreated:
		return []statement{stmt(`INSERT INTO hooks (name, project, url, apps, types, state, last_error, created_at, updated_at, seq)
			VALUES ($1, $2, $3, $4, $5, 'active', '', $6, $6, $7)
			ON CONFLICT (name) DO UPDATE SET project = EXCLUDED.project, url = EXCLUDED.url, apps = EXCLUDED.apps,
				types = EXCLUDED.types, state = 'active', last_error = '', created_at = EXCLUDED.created_at,
				updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq`,
			e.Name, e.Project, e.URL, nonNil(e.Apps), nonNil(e.Types), r.Time, seq(r))}, nil
	case events.HookChanged:
		return []statement{stmt(`UPDATE hooks SET project = $2, url = $3, apps = $4, types = $5, updated_at = $6, seq = $7 WHERE name = $1`,
			e.Name, e.Project, e.URL, nonNil(e.Apps), nonNil(e.Types), r.Time, seq(r))}, nil
	case events.HookRemoved:
		return []statement{stmt(`UPDATE hooks SET state = 'removed', updated_at = $2, seq = $3 WHERE name = $1`, e.Name, r.Time, seq(r))}, nil
	case events.HookFailing:
		return []statement{stmt(`UPDATE hooks SET state = 'failing', last_error = $2, updated_at = $3, seq = $4 WHERE name = $1 AND state <> 'removed'`,
			e.Name, e.Error, r.Time, seq(r))}, nil
	case events.HookRecovered:
		return []statement{stmt(`UPDATE hooks SET state = 'active', updated_at = $2, seq = $3 WHERE name = $1 AND state <> 'removed'`,
			e.Name, r.Time, seq(r))}, nil
	}
	return nil, nil
}
