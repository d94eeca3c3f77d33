package projections

import (
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/events"
)

// rollouts keeps every rollout of every app (appstate.Rollout) and, in
// rollout_steps, each of its events with their reasons and inputs.
var rollouts = projector{name: RolloutsProjector, tables: []string{"rollouts", "rollout_steps"}, fold: foldRollouts}

// liveRollout selects the app's latest rollout when it is live and brings
// in the release: the only rollout a step, pause or end applies to
// (appstate.App.liveRollout). $1 is the app, $2 the release.
const liveRollout = `SELECT id FROM rollouts WHERE app = $1 AND release = $2
	AND status IN ('progressing', 'paused')
	AND id = (SELECT max(id) FROM rollouts WHERE app = $1)`

func foldRollouts(r events.Recorded) ([]statement, error) {
	switch e := r.Event.(type) {
	case events.RolloutStarted:
		spec, err := json.Marshal(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("encode rollout spec: %w", err)
		}
		weight := 0
		if e.Spec.Strategy == events.StrategyCanary && len(e.Spec.CanarySteps) > 0 {
			weight = e.Spec.CanarySteps[0]
		}
		return []statement{
			stmt(`INSERT INTO rollouts (id, app, release, from_release, rollback, strategy, spec, status, step, weight,
					keep_old, reason, started_at, step_at, updated_at, seq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'progressing', 0, $8, -1, $9, $10, $10, $10, $1)`,
				seq(r), e.App, e.Release, e.From, e.Rollback, e.Spec.Strategy, spec, weight, e.Reason, r.Time),
			stmt(`INSERT INTO rollout_steps (seq, rollout_id, event, step, weight, keep_old, reason, time)
				VALUES ($1, $1, 'started', 0, $2, -1, $3, $4)`, seq(r), weight, e.Reason, r.Time),
		}, nil
	case events.RolloutStepped:
		inputs, err := json.Marshal(e.Inputs)
		if err != nil {
			return nil, fmt.Errorf("encode rollout inputs: %w", err)
		}
		return []statement{
			stepRow(r, e.App, e.Release, "stepped", e.Reason, inputs),
			stmt(`UPDATE rollouts SET step = $3, weight = $4, keep_old = $5, reason = $6, inputs = $7,
					step_at = $8, updated_at = $8, seq = $9
				WHERE id = (`+liveRollout+`)`,
				e.App, e.Release, e.Step, e.Weight, e.KeepOld, e.Reason, inputs, r.Time, seq(r)),
		}, nil
	case events.RolloutPaused:
		return []statement{
			stepRow(r, e.App, e.Release, "paused", e.Reason, nil),
			stmt(`UPDATE rollouts SET status = 'paused', reason = $3, updated_at = $4, seq = $5
				WHERE id = (`+liveRollout+`)`, e.App, e.Release, e.Reason, r.Time, seq(r)),
		}, nil
	case events.RolloutResumed:
		return []statement{
			stepRow(r, e.App, e.Release, "resumed", e.Reason, nil),
			stmt(`UPDATE rollouts SET status = 'progressing', reason = $3, step_at = $4, updated_at = $4, seq = $5
				WHERE id = (`+liveRollout+`)`, e.App, e.Release, e.Reason, r.Time, seq(r)),
		}, nil
	case events.RolloutSucceeded:
		return endRollout(r, e.App, e.Release, "succeeded", e.Reason, e.Inputs, nil)
	case events.RolloutRolledBack:
		return endRollout(r, e.App, e.Release, "rolled_back", e.Reason, e.Inputs, &e.To)
	case events.RolloutFailed:
		return endRollout(r, e.App, e.Release, "failed", e.Reason, e.Inputs, nil)
	case events.RolloutSuperseded:
		return endRollout(r, e.App, e.Release, "superseded", supersededReason(e.By), nil, nil)
	}
	return nil, nil
}

// stepRow records one event of the live rollout, with the step, weight and
// keep_old it leaves (a step's own, otherwise the rollout's). It runs before
// the rollout's update, while the rollout still counts as live.
func stepRow(r events.Recorded, app string, release int, event, reason string, inputs []byte) statement {
	step, weight, keepOld := "ro.step", "ro.weight", "ro.keep_old"
	var args []any
	args = append(args, app, release, seq(r), event, reason, inputs, r.Time)
	if e, ok := r.Event.(events.RolloutStepped); ok {
		step, weight, keepOld = "$8", "$9", "$10"
		args = append(args, e.Step, e.Weight, e.KeepOld)
	}
	return stmt(`INSERT INTO rollout_steps (seq, rollout_id, event, step, weight, keep_old, reason, inputs, time)
		SELECT $3, ro.id, $4, `+step+`, `+weight+`, `+keepOld+`, $5, $6, $7
		FROM rollouts ro WHERE ro.id = (`+liveRollout+`)`, args...)
}

// endRollout ends the live rollout with a terminal status.
func endRollout(r events.Recorded, app string, release int, status, reason string, in any, to *int) ([]statement, error) {
	var inputs []byte // NULL: the event has none
	if in != nil {
		var err error
		if inputs, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("encode rollout inputs: %w", err)
		}
	}
	return []statement{
		stepRow(r, app, release, status, reason, inputs),
		stmt(`UPDATE rollouts SET status = $3, reason = $4, inputs = COALESCE($5, inputs), rolled_back_to = $6,
				ended_at = $7, updated_at = $7, seq = $8
			WHERE id = (`+liveRollout+`)`, app, release, status, reason, inputs, to, r.Time, seq(r)),
	}, nil
}
