package appstate

import (
	"strconv"
	"time"

	"github.com/berth-dev/berth/events"
)

// Release is one deployed spec of an app: version N of it.
type Release struct {
	Version   int         `json:"version"`
	Spec      events.Spec `json:"spec"`
	CreatedAt time.Time   `json:"created_at"`
	// Outcome is the terminal status of the rollout that brought the
	// release in ("" while it runs or when none did).
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Failures counts its instances that failed (health check or exit)
	// while a rollout to it was in progress.
	Failures int `json:"failures"`
}

// Rollout statuses. Progressing and Paused are the live ones; every other
// status is terminal.
const (
	RolloutProgressing = "progressing"
	RolloutPaused      = "paused"
	RolloutSucceeded   = "succeeded"
	RolloutRolledBack  = "rolled_back"
	RolloutFailed      = "failed"
	RolloutSuperseded  = "superseded"
)

// Rollout is the app's latest rollout.
type Rollout struct {
	Release  int                `json:"release"`
	From     int                `json:"from"`
	Rollback bool               `json:"rollback,omitempty"`
	Spec     events.RolloutSpec `json:"spec"`
	Status   string             `json:"status"`
	Step     int                `json:"step"`
	// Weight is the canary's share of traffic in percent.
	Weight int `json:"weight"`
	// KeepOld is how many instances of other releases a rolling update
	// keeps; -1 until the first step (all of them).
	KeepOld   int       `json:"keep_old"`
	StartedAt time.Time `json:"started_at"`
	StepAt    time.Time `json:"step_at"`
	// PausedAt is when a paused rollout was paused; the time it stays
	// paused does not count toward its progress deadline.
	PausedAt time.Time `json:"paused_at,omitzero"`
	EndedAt  time.Time `json:"ended_at,omitzero"`
	Reason   string    `json:"reason,omitempty"`
}

// Live reports whether the rollout has not ended.
func (r *Rollout) Live() bool {
	return r != nil && (r.Status == RolloutProgressing || r.Status == RolloutPaused)
}

// Terminal reports whether status ends a rollout.
func Terminal(status string) bool {
	switch status {
	case RolloutSucceeded, RolloutRolledBack, RolloutFailed, RolloutSuperseded:
		return true
	}
	return false
}

// ReleaseSpec is the spec an instance of version runs: its own release's,
// never the newest one's. Unknown versions (history from before releases
// were kept) get the app's current spec.
func (a *App) ReleaseSpec(version int) events.Spec {
	if r, ok := a.Releases[version]; ok {
		return r.Spec
	}
	return a.Spec
}

// applyRelease folds the rollout events; it reports whether e was one.
func (a *App) applyRelease(e events.Event, at time.Time) bool {
	switch e := e.(type) {
	case events.RolloutStarted:
		a.Rollout = &Rollout{Release: e.Release, From: e.From, Rollback: e.Rollback, Spec: e.Spec,
			Status: RolloutProgressing, KeepOld: -1, StartedAt: at, StepAt: at, Reason: e.Reason}
		if e.Spec.Strategy == events.StrategyCanary && len(e.Spec.CanarySteps) > 0 {
			a.Rollout.Weight = e.Spec.CanarySteps[0]
		}
		if e.Rollback {
			a.retarget(e.Release)
		}
		if r, ok := a.Releases[e.Release]; ok {
			r.Outcome, r.Reason, r.Failures = "", "", 0
		}
	case events.RolloutStepped:
		if ro := a.liveRollout(e.Release); ro != nil {
			ro.Step, ro.Weight, ro.KeepOld, ro.StepAt, ro.Reason = e.Step, e.Weight, e.KeepOld, at, e.Reason
		}
	case events.RolloutPaused:
		if ro := a.liveRollout(e.Release); ro != nil {
			ro.Status, ro.Reason, ro.PausedAt = RolloutPaused, e.Reason, at
		}
	case events.RolloutResumed:
		if ro := a.liveRollout(e.Release); ro != nil {
			if ro.Status == RolloutPaused && at.After(ro.PausedAt) {
				ro.StartedAt = ro.StartedAt.Add(at.Sub(ro.PausedAt))
			}
			ro.Status, ro.Reason, ro.StepAt, ro.PausedAt = RolloutProgressing, e.Reason, at, time.Time{}
		}
	case events.RolloutSucceeded:
		a.end(e.Release, RolloutSucceeded, e.Reason, at)
	case events.RolloutRolledBack:
		a.end(e.Release, RolloutRolledBack, e.Reason, at)
		a.retarget(e.To)
	case events.RolloutFailed:
		a.end(e.Release, RolloutFailed, e.Reason, at)
	case events.RolloutSuperseded:
		reason := "superseded by release " + strconv.Itoa(e.By)
		if e.By == 0 {
			reason = "app stopped"
		}
		a.end(e.Release, RolloutSuperseded, reason, at)
	default:
		return false
	}
	return true
}

func (a *App) liveRollout(release int) *Rollout {
	if a.Rollout.Live() && a.Rollout.Release == release {
		return a.Rollout
	}
	return nil
}

func (a *App) end(release int, status, reason string, at time.Time) {
	if ro := a.liveRollout(release); ro != nil {
		ro.Status, ro.Reason, ro.EndedAt = status, reason, at
	}
	if r, ok := a.Releases[release]; ok {
		r.Outcome, r.Reason = status, reason
	}
}

// retarget drives the app to release v, keeping its replicas.
func (a *App) retarget(v int) {
	r, ok := a.Releases[v]
	if !ok {
		return
	}
	replicas := a.Spec.Replicas
	a.Target, a.Spec = v, r.Spec
	a.Spec.Replicas = replicas
}

// countFailure counts a failed instance against the release a live
// rollout is bringing in.
func (a *App) countFailure(id string) {
	inst := a.Instances[id]
	if !a.Rollout.Live() || inst.Version != a.Rollout.Release {
		return
	}
	if r, ok := a.Releases[inst.Version]; ok {
		r.Failures++
	}
}
