package rollout

import (
	"fmt"
	"slices"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// Traffic is what the gateways measured of one release over an interval.
type Traffic struct {
	Requests int64
	Errors   int64
	// Latency counts answers per events.LatencyBoundsMS bucket.
	Latency []int64
}

// P99MS estimates the interval's p99 latency.
func (t Traffic) P99MS() float64 { return events.Quantile(t.Latency, 0.99) }

// ErrorRate is the share of 5xx answers, 0 without requests.
func (t Traffic) ErrorRate() float64 {
	if t.Requests == 0 {
		return 0
	}
	return float64(t.Errors) / float64(t.Requests)
}

// Input is everything one decision is made from.
type Input struct {
	App *appstate.App
	Now time.Time
	// Traffic returns the new release's traffic since a time (canary only).
	Traffic func(since time.Time) Traffic
}

// Decide returns the next event of the app's live rollout, or nil when it
// must wait. It is pure: every input is in in.
//
//   - Failures of the new release's instances (health or exit) reaching
//     MaxFailures, or the progress deadline passing, end the rollout: rolled
//     back to the release it started from when AutoRollback is on (and
//     there is one), failed otherwise. A paused rollout has no deadline.
//   - Rolling: the instances of other releases kept shrink as new ones have
//     been healthy for MinHealthy, never below replicas - max unavailable
//     available ones; the rollout succeeds when replicas new ones are.
//   - Canary: once the step's instances are healthy and an interval has
//     passed, the new release's traffic in it is judged: too few requests
//     wait (bounded by the deadline), an error rate or p99 above the limits
//     rolls back, otherwise the next step, or success after the last.
func Decide(in Input) events.Event {
	app := in.App
	if app == nil || !app.Exists || app.Stopped || !app.Rollout.Live() {
		return nil
	}
	ro := app.Rollout
	st := observe(app, in.Now)
	if ro.Status == appstate.RolloutPaused {
		return nil
	}
	if st.in.Failures >= ro.Spec.MaxFailures {
		return fail(app, st.in, fmt.Sprintf("%d instance(s) of release %d failed (%s); the limit is %d",
			st.in.Failures, ro.Release, st.failed, ro.Spec.MaxFailures))
	}
	r := st.in.Desired
	rollingDone := (ro.From == 0 || ro.Spec.Strategy != events.StrategyCanary) && st.in.Available >= r
	if rollingDone {
		// Checked before the deadline: a rollout that got there is not
		// rolled back because nobody looked in time (a restart).
		return events.RolloutSucceeded{App: app.Name, Release: ro.Release, Inputs: st.in,
			Reason: fmt.Sprintf("%d/%d instances of release %d healthy for %s", st.in.Available, r, ro.Release, minHealthy(ro))}
	}
	deadline := time.Duration(ro.Spec.ProgressDeadlineMS) * time.Millisecond
	if deadline > 0 && in.Now.Sub(ro.StartedAt) > deadline {
		return fail(app, st.in, fmt.Sprintf("progress deadline %s passed with %d/%d instances of release %d available",
			deadline, st.in.Available, st.in.Desired, ro.Release))
	}
	switch {
	case ro.From == 0:
		return nil
	case ro.Spec.Strategy != events.StrategyCanary:
		return rolling(app, st.in)
	}
	return canary(in, st.in)
}

func rolling(app *appstate.App, in events.RolloutInputs) events.Event {
	ro := app.Rollout
	r := in.Desired
	_, unavail := appstate.Surge(ro.Spec, r)
	keep := r
	if ro.KeepOld >= 0 {
		keep = min(ro.KeepOld, r)
	}
	next := max(0, min(keep, r-unavail-in.Available))
	if next >= keep {
		return nil
	}
	return events.RolloutStepped{App: app.Name, Release: ro.Release, Step: ro.Step + 1, KeepOld: next, Inputs: in,
		Reason: fmt.Sprintf("%d/%d instances of release %d available for %s: keep %d of the old", in.Available, r,
			ro.Release, minHealthy(ro), next)}
}

func canary(in Input, inputs events.RolloutInputs) events.Event {
	app, ro := in.App, in.App.Rollout
	want := app.Wants().Target
	if inputs.Available < want {
		return nil // the step's instances are not proven yet; the deadline bounds this
	}
	interval := time.Duration(ro.Spec.CanaryIntervalMS) * time.Millisecond
	if in.Now.Sub(ro.StepAt) < interval {
		return nil
	}
	var t Traffic
	if in.Traffic != nil {
		t = in.Traffic(ro.StepAt)
	}
	inputs.Requests, inputs.Errors, inputs.ErrorRate, inputs.P99MS = t.Requests, t.Errors, t.ErrorRate(), t.P99MS()
	if t.Requests < ro.Spec.MinRequests {
		return nil // too little traffic to judge; the deadline bounds this
	}
	if inputs.ErrorRate > ro.Spec.MaxErrorRate {
		return fail(app, inputs, fmt.Sprintf("canary at %d%%: error rate %.2f%% (%d of %d requests) above %.2f%%",
			ro.Weight, 100*inputs.ErrorRate, t.Errors, t.Requests, 100*ro.Spec.MaxErrorRate))
	}
	if ro.Spec.MaxP99MS > 0 && inputs.P99MS > ro.Spec.MaxP99MS {
		return fail(app, inputs, fmt.Sprintf("canary at %d%%: p99 %.0fms above %.0fms over %d requests",
			ro.Weight, inputs.P99MS, ro.Spec.MaxP99MS, t.Requests))
	}
	judged := fmt.Sprintf("error rate %.2f%% ≤ %.2f%%, p99 %.0fms over %d requests", 100*inputs.ErrorRate,
		100*ro.Spec.MaxErrorRate, inputs.P99MS, t.Requests)
	next := ro.Step + 1
	if next >= len(ro.Spec.CanarySteps) {
		return events.RolloutSucceeded{App: app.Name, Release: ro.Release, Inputs: inputs,
			Reason: fmt.Sprintf("canary at 100%%: %s", judged)}
	}
	return events.RolloutStepped{App: app.Name, Release: ro.Release, Step: next, Weight: ro.Spec.CanarySteps[next],
		KeepOld: -1, Inputs: inputs, Reason: fmt.Sprintf("canary at %d%%: %s; promoted to %d%%", ro.Weight, judged,
			ro.Spec.CanarySteps[next])}
}

func fail(app *appstate.App, in events.RolloutInputs, reason string) events.Event {
	ro := app.Rollout
	if ro.Spec.AutoRollback && ro.From != 0 {
		return events.RolloutRolledBack{App: app.Name, Release: ro.Release, To: ro.From, Inputs: in,
			Reason: reason + fmt.Sprintf("; rolled back to release %d", ro.From)}
	}
	return events.RolloutFailed{App: app.Name, Release: ro.Release, Inputs: in, Reason: reason}
}

type observed struct {
	in     events.RolloutInputs
	failed string
}

// observe counts the new release's instances and the others'.
func observe(app *appstate.App, now time.Time) observed {
	ro := app.Rollout
	need := time.Duration(ro.Spec.MinHealthyMS) * time.Millisecond
	o := observed{in: events.RolloutInputs{Desired: max(app.Spec.Replicas, 0)}}
	ids := make([]string, 0, len(app.Instances))
	for id := range app.Instances {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var failed []string
	for _, id := range ids {
		inst := app.Instances[id]
		if inst.Version != ro.Release {
			if inst.Live() {
				o.in.OldLive++
			}
			continue
		}
		switch inst.State {
		case appstate.StateHealthy:
			o.in.Healthy++
			if !inst.HealthySince.IsZero() && now.Sub(inst.HealthySince) >= need {
				o.in.Available++
				o.in.Instances = append(o.in.Instances, id)
			}
		case appstate.StateUnhealthy, appstate.StateExited:
			failed = append(failed, id+" "+inst.State)
		}
	}
	if r, ok := app.Releases[ro.Release]; ok {
		o.in.Failures = r.Failures
	}
	o.failed = joinMax(failed, 5)
	return o
}

func minHealthy(ro *appstate.Rollout) time.Duration {
	return time.Duration(ro.Spec.MinHealthyMS) * time.Millisecond
}

func joinMax(s []string, n int) string {
	if len(s) == 0 {
		return "no instance left to show"
	}
	out := ""
	for i, x := range s {
		if i == n {
			return out + fmt.Sprintf(", and %d more", len(s)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
