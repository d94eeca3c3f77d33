package projections

import (
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/events"
)

// releases keeps one row per release of an app: its spec, the deploy that
// made it, and how the rollout that brought it in ended (appstate.Release).
// release_instances is its own record of live instances, needed to count
// failures the way the aggregate does.
var releases = projector{name: ReleasesProjector, tables: []string{"releases", "release_instances"}, fold: foldReleases}

func foldReleases(r events.Recorded) ([]statement, error) {
	switch e := r.Event.(type) {
	case events.AppDeployed:
		spec, err := json.Marshal(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("encode spec: %w", err)
		}
		// As the aggregate does, a release deployed again starts afresh.
		return one(`INSERT INTO releases (app, version, image, spec, created_at, idempotency_key, updated_at, seq)
			VALUES ($1, $2, $3, $4, $5, $6, $5, $7)
			ON CONFLICT (app, version) DO UPDATE SET image = EXCLUDED.image, spec = EXCLUDED.spec,
				created_at = EXCLUDED.created_at, idempotency_key = EXCLUDED.idempotency_key,
				outcome = '', reason = '', failures = 0, updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq`,
			e.App, e.Version, e.Image, spec, r.Time, r.IdempotencyKey, seq(r)), nil
	case events.RolloutStarted:
		// The app's latest rollout is now this one; it brings e.Release in.
		return []statement{
			stmt(`UPDATE releases SET rolling_out = false, updated_at = $3, seq = $4
				WHERE app = $1 AND rolling_out AND version <> $2`, e.App, e.Release, r.Time, seq(r)),
			stmt(`UPDATE releases SET rolling_out = true, outcome = '', reason = '', failures = 0,
				updated_at = $3, seq = $4 WHERE app = $1 AND version = $2`, e.App, e.Release, r.Time, seq(r)),
		}, nil
	case events.RolloutSucceeded:
		return ended(r, e.App, e.Release, "succeeded", e.Reason), nil
	case events.RolloutRolledBack:
		return ended(r, e.App, e.Release, "rolled_back", e.Reason), nil
	case events.RolloutFailed:
		return ended(r, e.App, e.Release, "failed", e.Reason), nil
	case events.RolloutSuperseded:
		return ended(r, e.App, e.Release, "superseded", supersededReason(e.By)), nil
	case events.InstanceScheduled:
		return one(`INSERT INTO release_instances (app, instance, version, state) VALUES ($1, $2, $3, 'scheduled')
			ON CONFLICT (app, instance) DO UPDATE SET version = EXCLUDED.version, state = 'scheduled'`,
			e.App, e.Instance, e.Version), nil
	case events.InstanceStarted:
		return moveInstance(e.App, e.Instance, "running", false, "scheduled"), nil
	case events.EndpointRegistered:
		return moveInstance(e.App, e.Instance, "healthy", false, "running"), nil
	case events.InstanceHealthFailed:
		return moveInstance(e.App, e.Instance, "unhealthy", true, "scheduled", "running", "healthy"), nil
	case events.InstanceExited:
		// One that failed its check and then exits is one failure.
		// A start refused because the host port was taken is not the
		// release's failure (as the aggregate counts).
		return moveInstance(e.App, e.Instance, "exited", !e.PortTaken(), "scheduled", "running", "healthy", "unhealthy"), nil
	case events.InstanceUnscheduled:
		return moveInstance(e.App, e.Instance, "unscheduled", false, "scheduled", "running", "healthy", "unhealthy", "exited"), nil
	case events.InstanceStopped:
		return one(`DELETE FROM release_instances WHERE app = $1 AND instance = $2`, e.App, e.Instance), nil
	}
	return nil, nil
}

func one(sql string, args ...any) []statement { return []statement{stmt(sql, args...)} }

// ended records a rollout's terminal status on its release; the release
// stops rolling out if the app's latest rollout was this one.
func ended(r events.Recorded, app string, release int, outcome, reason string) []statement {
	return one(`UPDATE releases SET outcome = $3, reason = $4, rolling_out = false, updated_at = $5, seq = $6
		WHERE app = $1 AND version = $2`, app, release, outcome, reason, r.Time, seq(r))
}

func supersededReason(by int) string { return fmt.Sprintf("superseded by release %d", by) }

// moveInstance moves an instance to state if it is in one of from, as
// appstate.App.setState does; a failure (the move happened and fail is
// set) counts against its release while a rollout brings that release in.
func moveInstance(app, instance, state string, fail bool, from ...string) []statement {
	if !fail {
		return one(`UPDATE release_instances SET state = $3 WHERE app = $1 AND instance = $2 AND state = ANY($4)`,
			app, instance, state, from)
	}
	// Every part of the statement sees the rows as they were before it,
	// so old is the state before the move: a move out of unhealthy (an
	// unhealthy instance that exits) is not a second failure.
	return one(`WITH old AS (
			SELECT state FROM release_instances WHERE app = $1 AND instance = $2),
		moved AS (
			UPDATE release_instances SET state = $3 WHERE app = $1 AND instance = $2 AND state = ANY($4)
			RETURNING version)
		UPDATE releases r SET failures = r.failures + 1 FROM moved, old
		WHERE r.app = $1 AND r.version = moved.version AND r.rolling_out AND old.state <> 'unhealthy'`,
		app, instance, state, from)
}
