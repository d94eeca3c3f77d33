package rollout_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
	"github.com/berth-dev/berth/workers/rollout"
)

type trafficFn = func(time.Time) rollout.Traffic

// move is one tick of a rollout walked from start to end: facts happen,
// the worker decides at sec and folds the decision.
type move struct {
	sec  float64
	with func(*history)
	// want describes the decision: its kind and its step fields, or "".
	want string
	// wants is what the scheduler is asked for after the decision.
	wants appstate.Wants
}

func describeStep(e events.Event) string {
	switch e := e.(type) {
	case nil:
		return ""
	case events.RolloutStepped:
		return fmt.Sprintf("stepped %d weight %d keep %d", e.Step, e.Weight, e.KeepOld)
	case events.RolloutRolledBack:
		return fmt.Sprintf("rolled back to %d", e.To)
	}
	return e.Kind()
}

func walk(t *testing.T, h *history, traffic func(h *history) trafficFn, moves []move) {
	t.Helper()
	for _, m := range moves {
		if m.with != nil {
			m.with(h)
		}
		var tr trafficFn
		if traffic != nil {
			tr = traffic(h)
		}
		got := describeStep(h.step(m.sec, tr))
		if got != m.want {
			t.Fatalf("at %gs: decided %q, want %q", m.sec, got, m.want)
		}
		if w := h.app.Wants(); w != m.wants {
			t.Fatalf("at %gs after %q: Wants() = %+v, want %+v", m.sec, got, w, m.wants)
		}
	}
}

func TestWalkRollingSurgeShare(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{})
	walk(t, h, nil, []move{
		{sec: 101, wants: appstate.Wants{Target: 1, Old: 3, From: 1}},
		{sec: 105, with: func(h *history) { h.up(104, 2, "b1") }, wants: appstate.Wants{Target: 1, Old: 3, From: 1}},
		{sec: 109, want: "stepped 1 weight 0 keep 2", wants: appstate.Wants{Target: 2, Old: 2, From: 1}},
		{sec: 116, with: func(h *history) { h.gone(110, "a1").up(111, 2, "b2") }, want: "stepped 2 weight 0 keep 1",
			wants: appstate.Wants{Target: 3, Old: 1, From: 1}},
		{sec: 120, with: func(h *history) { h.gone(117, "a2").up(118, 2, "b3") }, wants: appstate.Wants{Target: 3, Old: 1, From: 1}},
		{sec: 123, want: "rollout_succeeded", wants: appstate.Wants{Target: 3}},
	})
	if h.app.Rollout.Status != appstate.RolloutSucceeded || h.app.Releases[2].Outcome != appstate.RolloutSucceeded {
		t.Fatalf("rollout %+v, release 2 %+v", h.app.Rollout, h.app.Releases[2])
	}
}

func TestWalkRollingSurgeCount(t *testing.T) {
	h := serving(t, 4).deploy(100, "berth-testapp:v2", 4, commands.RolloutOptions{MaxSurge: "2"})
	walk(t, h, nil, []move{
		{sec: 101, wants: appstate.Wants{Target: 2, Old: 4, From: 1}},
		{sec: 110, with: func(h *history) { h.up(104, 2, "b1", "b2") }, want: "stepped 1 weight 0 keep 2",
			wants: appstate.Wants{Target: 4, Old: 2, From: 1}},
		{sec: 120, with: func(h *history) { h.gone(111, "a1", "a2").up(112, 2, "b3", "b4") }, want: "rollout_succeeded",
			wants: appstate.Wants{Target: 4}},
	})
}

func TestWalkRollingMaxUnavailable(t *testing.T) {
	// Surge 0 and unavailable 1: the new release never runs beyond the
	// replicas; one old instance goes first.
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{MaxSurge: "0", MaxUnavailable: "1"})
	walk(t, h, nil, []move{
		{sec: 100, want: "stepped 1 weight 0 keep 2", wants: appstate.Wants{Target: 1, Old: 2, From: 1, Unavailable: 1}},
		{sec: 110, with: func(h *history) { h.gone(101, "a1").up(102, 2, "b1") }, want: "stepped 2 weight 0 keep 1",
			wants: appstate.Wants{Target: 2, Old: 1, From: 1, Unavailable: 1}},
		{sec: 120, with: func(h *history) { h.gone(111, "a2").up(112, 2, "b2") }, want: "stepped 3 weight 0 keep 0",
			wants: appstate.Wants{Target: 3, Old: 0, From: 1, Unavailable: 1}},
		{sec: 130, with: func(h *history) { h.gone(121, "a3").up(122, 2, "b3") }, want: "rollout_succeeded",
			wants: appstate.Wants{Target: 3}},
	})
}

func TestWalkCanary(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{Strategy: events.StrategyCanary})
	weights := func(w int) []appstate.Weight {
		return []appstate.Weight{{Release: 2, Weight: w}, {Release: 1, Weight: 100 - w}}
	}
	good := func(*history) trafficFn { return always(flat(100, 0, 20)) }
	checkWeights := func(want []appstate.Weight) func(*history) {
		return func(h *history) {
			if got := h.app.Weights(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Weights() = %v, want %v", got, want)
			}
		}
	}
	walk(t, h, good, []move{
		{sec: 101, with: checkWeights(weights(10)), wants: appstate.Wants{Target: 1, Old: 3, From: 1}},
		{sec: 120, with: func(h *history) { h.up(102, 2, "b1") }, wants: appstate.Wants{Target: 1, Old: 3, From: 1}},
		{sec: 130, want: "stepped 1 weight 50 keep -1", wants: appstate.Wants{Target: 2, Old: 3, From: 1}},
		{sec: 160, with: func(h *history) { checkWeights(weights(50))(h); h.up(132, 2, "b2") }, want: "stepped 2 weight 100 keep -1",
			wants: appstate.Wants{Target: 3, Old: 3, From: 1}},
		{sec: 190, with: func(h *history) { checkWeights(weights(100))(h); h.up(162, 2, "b3") }, want: "rollout_succeeded",
			wants: appstate.Wants{Target: 3}},
	})
	checkWeights([]appstate.Weight{{Release: 2, Weight: 100}})(h)
}

func TestWalkBadCanaryRollsBackAtItsFirstStep(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{Strategy: events.StrategyCanary})
	half := func(*history) trafficFn { return always(flat(40, 20, 20)) }
	walk(t, h, half, []move{
		{sec: 110, with: func(h *history) { h.up(102, 2, "b1") }, wants: appstate.Wants{Target: 1, Old: 3, From: 1}},
		{sec: 130, want: "rolled back to 1", wants: appstate.Wants{Target: 3}},
	})
	if h.app.Target != 1 || h.app.Spec.Image != "berth-testapp:v1" || fmt.Sprint(h.app.Weights()) != "[{1 100}]" {
		t.Fatalf("after the rollback: target %d, image %s, weights %v", h.app.Target, h.app.Spec.Image, h.app.Weights())
	}
}

// A healthy canary whose steps take longer than the progress deadline
// must either be refused by the deploy or succeed; with --canary-steps
// 10,25,50,75,100 and the default interval (30s) and deadline (2m) it is
// accepted and then always rolled back, at 75%, for "progress deadline".
func TestWalkLongCanaryWithinDefaults(t *testing.T) {
	o := commands.RolloutOptions{Strategy: events.StrategyCanary, CanarySteps: []int{10, 25, 50, 75, 100}}
	replicas := 4
	if _, err := (commands.Deploy{App: "web", Image: "berth-testapp:v2", Replicas: &replicas, RolloutOptions: o}).Decide(serving(t, 4).app.Clone()); err != nil {
		return // refused: fine
	}
	h := serving(t, 4).deploy(100, "berth-testapp:v2", 4, o)
	h.up(101, 2, "b1", "b2", "b3", "b4") // every step's instances are there
	var last string
	for sec := 100.5; sec < 400 && !appstate.Terminal(h.app.Rollout.Status); sec += 0.5 {
		last = describeStep(h.step(sec, always(flat(100, 0, 20))))
	}
	if h.app.Rollout.Status != appstate.RolloutSucceeded {
		t.Fatalf("healthy canary ended %s (%q): %s", h.app.Rollout.Status, last, h.app.Rollout.Reason)
	}
}
