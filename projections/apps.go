package projections

import (
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/events"
)

// apps keeps each app's desired state: the apps table.
var apps = projector{name: AppsProjector, tables: []string{"apps"}, fold: foldApps}

func foldApps(r events.Recorded) ([]statement, error) {
	var (
		sql  string
		args []any
	)
	switch e := r.Event.(type) {
	case events.AppDeployed:
		spec, err := json.Marshal(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("encode spec: %w", err)
		}
		sql = `INSERT INTO apps (name, image, version, replicas, spec, status, created_at, updated_at, seq)
			VALUES ($1, $2, $3, $4, $5, 'running', $6, $6, $7)
			ON CONFLICT (name) DO UPDATE SET image = EXCLUDED.image, version = EXCLUDED.version,
				replicas = EXCLUDED.replicas, spec = EXCLUDED.spec, status = 'running',
				updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq`
		args = []any{e.App, e.Image, e.Version, e.Replicas, spec, r.Time, seq(r)}
	case events.AppScaled:
		sql = `UPDATE apps SET replicas = $2, spec = jsonb_set(spec, '{replicas}', to_jsonb($2::int)),
			updated_at = $3, seq = $4 WHERE name = $1`
		args = []any{e.App, e.Replicas, r.Time, seq(r)}
	case events.AppStopped:
		// As on the command side: a stopped app wants no replicas.
		sql = `UPDATE apps SET status = 'stopped', replicas = 0, spec = jsonb_set(spec, '{replicas}', '0'),
			updated_at = $2, seq = $3 WHERE name = $1`
		args = []any{e.App, r.Time, seq(r)}
	case events.AppDomainsSet:
		sql = `UPDATE apps SET domains = $2, updated_at = $3, seq = $4 WHERE name = $1`
		args = []any{e.App, nonNil(e.Domains), r.Time, seq(r)}
	case events.AppDenyListSet:
		sql = `UPDATE apps SET deny = $2, updated_at = $3, seq = $4 WHERE name = $1`
		args = []any{e.App, nonNil(e.Deny), r.Time, seq(r)}
	case events.AutoscalePolicySet:
		var policy []byte // NULL: no policy
		if e.Enabled {
			var err error
			if policy, err = json.Marshal(e); err != nil {
				return nil, fmt.Errorf("encode autoscale policy: %w", err)
			}
		}
		sql = `UPDATE apps SET autoscale = $2, updated_at = $3, seq = $4 WHERE name = $1`
		args = []any{e.App, policy, r.Time, seq(r)}
	case events.PlacementFailed:
		sql = `UPDATE apps SET placement_failure_reasons = $2, placement_unplaced = $3,
			placement_failed_at = $4, seq = $5 WHERE name = $1`
		args = []any{e.App, nonNil(e.Reasons), e.Unplaced, r.Time, seq(r)}
	case events.InstanceScheduled:
		// Something was placed: the last failure no longer describes the app.
		sql = `UPDATE apps SET placement_failure_reasons = '{}', placement_unplaced = 0,
			placement_failed_at = NULL, seq = $2
			WHERE name = $1 AND placement_failed_at IS NOT NULL`
		args = []any{e.App, seq(r)}
	default:
		return nil, nil
	}
	return []statement{stmt(sql, args...)}, nil
}
