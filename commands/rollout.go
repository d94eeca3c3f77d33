package commands

import (
	"fmt"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// Rollout actions a person can take on an app's live rollout.
const (
	ActionPause   = "pause"
	ActionResume  = "resume"
	ActionPromote = "promote"
	ActionAbort   = "abort"
)

// RolloutAction pauses, resumes, promotes or aborts the live rollout.
type RolloutAction struct {
	App    string `json:"-"`
	Action string `json:"-"`
	Reason string `json:"reason,omitempty"`
}

// Decide returns the rollout event the action asks for. Pausing a paused
// rollout (and the like) is a no-op; acting on an ended one is rejected.
func (c RolloutAction) Decide(app *appstate.App) ([]events.Event, error) {
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if len(c.Reason) > 500 {
		return nil, invalid("reason", "is longer than 500 characters")
	}
	ro := app.Rollout
	if !ro.Live() {
		return nil, rejected("app %s has no rollout in progress", c.App)
	}
	reason := c.Reason
	if reason == "" {
		reason = c.Action + " requested"
	}
	switch c.Action {
	case ActionPause:
		if ro.Status == appstate.RolloutPaused {
			return nil, nil
		}
		return []events.Event{events.RolloutPaused{App: c.App, Release: ro.Release, Reason: reason}}, nil
	case ActionResume:
		if ro.Status != appstate.RolloutPaused {
			return nil, nil
		}
		return []events.Event{events.RolloutResumed{App: c.App, Release: ro.Release, Reason: reason}}, nil
	case ActionAbort:
		if ro.From == 0 {
			return nil, rejected("release %d is the app's first: there is nothing to roll back to; stop the app instead", ro.Release)
		}
		return []events.Event{events.RolloutRolledBack{App: c.App, Release: ro.Release, To: ro.From, Reason: reason}}, nil
	case ActionPromote:
		return promote(app, reason)
	}
	return nil, invalid("action", "%q is not pause, resume, promote or abort", c.Action)
}

// promote moves a canary to its next step now, skipping the analysis of
// the current one, and ends any rollout whose new release already has
// every replica healthy.
func promote(app *appstate.App, reason string) ([]events.Event, error) {
	ro := app.Rollout
	healthy := 0
	for _, inst := range app.Instances {
		if inst.Version == ro.Release && inst.State == appstate.StateHealthy {
			healthy++
		}
	}
	in := events.RolloutInputs{Desired: app.Spec.Replicas, Healthy: healthy}
	if healthy >= app.Spec.Replicas {
		return []events.Event{events.RolloutSucceeded{App: app.Name, Release: ro.Release, Reason: reason, Inputs: in}}, nil
	}
	if ro.Spec.Strategy != events.StrategyCanary {
		return nil, rejected("release %d has %d/%d instances healthy; a rolling update moves on by itself as they become healthy",
			ro.Release, healthy, app.Spec.Replicas)
	}
	next := ro.Step + 1
	if next >= len(ro.Spec.CanarySteps) {
		return nil, rejected("release %d is at its last step with %d/%d instances healthy", ro.Release, healthy, app.Spec.Replicas)
	}
	return []events.Event{events.RolloutStepped{App: app.Name, Release: ro.Release, Step: next,
		Weight: ro.Spec.CanarySteps[next], KeepOld: -1, Reason: reason, Inputs: in}}, nil
}

// Rollback puts an earlier release back. During a rollout it aborts it
// (instant: the old release's instances were kept); otherwise it rolls
// the app to To, by default the last release before the serving one that
// succeeded — at once when that release's instances still run, else as a
// rolling update without a canary phase.
type Rollback struct {
	App string `json:"-"`
	To  int    `json:"to,omitempty"`
}

// Decide returns the events of the rollback.
func (c Rollback) Decide(app *appstate.App) ([]events.Event, error) {
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if app.Stopped {
		return nil, rejected("app %s is stopped; deploy it again to run it", c.App)
	}
	if c.To < 0 {
		return nil, invalid("to", "%d is not a release", c.To)
	}
	if ro := app.Rollout; ro.Live() && ro.From != 0 && (c.To == 0 || c.To == ro.From) {
		return []events.Event{events.RolloutRolledBack{App: c.App, Release: ro.Release, To: ro.From,
			Reason: "rollback requested"}}, nil
	}
	to := c.To
	if to == 0 {
		to = lastGood(app)
		if to == 0 {
			return nil, rejected("app %s has no earlier release that succeeded; name one with --to", c.App)
		}
	}
	if _, ok := app.Releases[to]; !ok {
		return nil, notFound("app %s has no release %d", c.App, to)
	}
	if to == app.Target && !app.Rollout.Live() {
		return nil, nil
	}
	var evs []events.Event
	if ro := app.Rollout; ro.Live() {
		evs = append(evs, events.RolloutSuperseded{App: c.App, Release: ro.Release, By: to})
	}
	spec := events.RolloutSpec{Strategy: events.StrategyRolling, MaxSurge: DefaultMaxSurge,
		MaxUnavailable: DefaultMaxUnavailable, MinHealthyMS: DefaultMinHealthy.Milliseconds(),
		ProgressDeadlineMS: DefaultProgressDeadline.Milliseconds(), AutoRollback: false, MaxFailures: DefaultMaxFailures}
	evs = append(evs, events.RolloutStarted{App: c.App, Release: to, From: app.Target, Rollback: true, Spec: spec,
		Reason: fmt.Sprintf("rollback from release %d to release %d requested", app.Target, to)})
	healthy := 0
	for _, inst := range app.Instances {
		if inst.Version == to && inst.State == appstate.StateHealthy {
			healthy++
		}
	}
	if healthy >= app.Spec.Replicas {
		evs = append(evs, events.RolloutSucceeded{App: c.App, Release: to,
			Reason: fmt.Sprintf("release %d still runs %d healthy instances: traffic moved at once", to, healthy),
			Inputs: events.RolloutInputs{Desired: app.Spec.Replicas, Healthy: healthy}})
	}
	return evs, nil
}

// lastGood is the newest release before the target whose rollout
// succeeded (or, for history from before rollouts, that ever served).
func lastGood(app *appstate.App) int {
	best := 0
	for v, r := range app.Releases {
		if v >= app.Target || v <= best {
			continue
		}
		if r.Outcome == appstate.RolloutSucceeded || r.Outcome == "" {
			best = v
		}
	}
	return best
}
