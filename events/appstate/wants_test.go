package appstate_test

import (
	"reflect"
	"testing"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// update3 is release 1 serving 3 and release 2 deployed at 100s with o.
func update3(o commands.RolloutOptions) func(*testing.T) *history {
	return func(t *testing.T) *history { return serving(t, 3).deploy(100, "berth-testapp:v2", 3, o) }
}

func with(build func(*testing.T) *history, more func(*history) *history) func(*testing.T) *history {
	return func(t *testing.T) *history { return more(build(t)) }
}

func beforeRollouts(t *testing.T) *history {
	return newHistory(t).at(0, events.AppDeployed{App: "web", Version: 1,
		Spec: events.Spec{Image: "berth-testapp:v1", Replicas: 3, Port: 8080, HealthPath: "/_ping"}})
}

func TestWants(t *testing.T) {
	rolling := update3(commands.RolloutOptions{})
	can := update3(canary)
	cases := []struct {
		name  string
		build func(*testing.T) *history
		want  appstate.Wants
	}{
		{"never deployed", newHistory, appstate.Wants{}},
		{"deployed before rollouts", beforeRollouts, appstate.Wants{Target: 3}},
		{"first release", func(t *testing.T) *history { return newHistory(t).deploy(0, "berth-testapp:v1", 2, canary) },
			appstate.Wants{Target: 2}},
		{"serving", func(t *testing.T) *history { return serving(t, 3) }, appstate.Wants{Target: 3}},
		{"stopped", func(t *testing.T) *history { return serving(t, 3).do(50, commands.Stop{App: "web"}.Decide) }, appstate.Wants{}},
		{"stopped during a rollout", with(rolling, func(h *history) *history { return h.do(110, commands.Stop{App: "web"}.Decide) }),
			appstate.Wants{}},

		{"rolling: surge 25% of 3 is 1", rolling, appstate.Wants{Target: 1, Old: 3, From: 1}},
		{"rolling: paused asks the same", with(rolling, func(h *history) *history { return h.action(101, commands.ActionPause) }),
			appstate.Wants{Target: 1, Old: 3, From: 1}},
		{"rolling: keep 2", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2) }),
			appstate.Wants{Target: 2, Old: 2, From: 1}},
		{"rolling: keep 0", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 0) }),
			appstate.Wants{Target: 3, Old: 0, From: 1}},
		{"rolling: surge as a count", update3(commands.RolloutOptions{MaxSurge: "2"}), appstate.Wants{Target: 2, Old: 3, From: 1}},
		{"rolling: surge 100%", update3(commands.RolloutOptions{MaxSurge: "100%"}), appstate.Wants{Target: 3, Old: 3, From: 1}},
		{"rolling: no surge, one unavailable", update3(commands.RolloutOptions{MaxSurge: "0", MaxUnavailable: "1"}),
			appstate.Wants{Target: 0, Old: 3, From: 1, Unavailable: 1}},
		{"rolling: scale up follows replicas", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2).scale(111, 5) }),
			appstate.Wants{Target: 5, Old: 2, From: 1}},
		{"rolling: scale down follows replicas", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2).scale(111, 1) }),
			appstate.Wants{Target: 1, Old: 1, From: 1}},
		{"rolling: scale to zero", with(rolling, func(h *history) *history { return h.scale(111, 0) }), appstate.Wants{From: 1}},
		{"rolling: succeeded", with(rolling, func(h *history) *history { return h.succeed(120, 2) }), appstate.Wants{Target: 3}},
		{"rolling: rolled back", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2).rollBack(120, 2, 1) }),
			appstate.Wants{Target: 3}},
		{"rolling: failed keeps the instances it has", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2).fail(220, 2) }),
			appstate.Wants{Target: 2, Old: 2, From: 1}},
		{"rolling: superseded, the new rollout starts over from the release that served",
			with(rolling, func(h *history) *history {
				return h.stepTo(110, 2, 1, 0, 2).deploy(111, "berth-testapp:v3", 3, commands.RolloutOptions{})
			}), appstate.Wants{Target: 1, Old: 3, From: 1}},
		{"rolling: a rollback to a release that is gone",
			with(rolling, func(h *history) *history {
				return h.succeed(120, 2).gone(121, "a1", "a2", "a3").do(130, commands.Rollback{App: "web"}.Decide)
			}), appstate.Wants{Target: 1, Old: 3, From: 2}},

		{"canary: 10% of 3 is 1", can, appstate.Wants{Target: 1, Old: 3, From: 1}},
		{"canary: 50% of 3 is 2", with(can, func(h *history) *history { return h.stepTo(130, 2, 1, 50, -1) }),
			appstate.Wants{Target: 2, Old: 3, From: 1}},
		{"canary: 100%", with(can, func(h *history) *history { return h.stepTo(130, 2, 2, 100, -1) }),
			appstate.Wants{Target: 3, Old: 3, From: 1}},
		{"canary: scaled to 20, 10% is 2", with(can, func(h *history) *history { return h.scale(101, 20) }),
			appstate.Wants{Target: 2, Old: 20, From: 1}},
		{"canary: at least one", update3(commands.RolloutOptions{Strategy: events.StrategyCanary, CanarySteps: []int{1, 100}}),
			appstate.Wants{Target: 1, Old: 3, From: 1}},
		{"canary: failed keeps both", with(update3(commands.RolloutOptions{Strategy: events.StrategyCanary, AutoRollback: off()}),
			func(h *history) *history { return h.stepTo(130, 2, 1, 50, -1).fail(160, 2) }), appstate.Wants{Target: 2, Old: 3, From: 1}},
		{"canary: rolled back", with(can, func(h *history) *history { return h.rollBack(130, 2, 1) }), appstate.Wants{Target: 3}},
		{"canary: succeeded", with(can, func(h *history) *history { return h.stepTo(130, 2, 2, 100, -1).succeed(160, 2) }),
			appstate.Wants{Target: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.build(t).app.Wants(); got != c.want {
				t.Fatalf("Wants() = %+v, want %+v", got, c.want)
			}
		})
	}
}

// Replicas 0 means no instance, canary or not: a rolling update scaled to
// zero asks for none, a canary still asks for one.
func TestWantsCanaryScaledToZero(t *testing.T) {
	h := update3(canary)(t).scale(101, 0)
	if got, want := h.app.Wants(), (appstate.Wants{From: 1}); got != want {
		t.Fatalf("Wants() = %+v, want %+v", got, want)
	}
}

func TestSurge(t *testing.T) {
	cases := []struct {
		surge, unavail      string
		replicas            int
		wantSurge, wantUnav int
	}{
		{"25%", "0", 3, 1, 0},
		{"25%", "0", 4, 1, 0},
		{"25%", "0", 5, 2, 0}, // a share of surge rounds up
		{"25%", "0", 1, 1, 0},
		{"100%", "0", 3, 3, 0},
		{"2", "0", 3, 2, 0},
		{"0", "0", 3, 1, 0}, // surge is at least 1 when nothing may be unavailable
		{"0%", "0%", 3, 1, 0},
		{"0", "1", 3, 0, 1},
		{"25%", "25%", 3, 1, 0}, // a share of unavailable rounds down
		{"25%", "25%", 8, 2, 2},
		{"1", "100%", 3, 1, 3},
		{"1", "5", 3, 1, 3}, // never more unavailable than replicas
		{" 50% ", " 1 ", 4, 2, 1},
		{"25%", "0", 0, 1, 0},
		{"bad", "bad", 3, 1, 0}, // unreadable: 0, then the surge floor
		{"-1", "-5%", 3, 1, 0},
	}
	for _, c := range cases {
		s, u := appstate.Surge(events.RolloutSpec{MaxSurge: c.surge, MaxUnavailable: c.unavail}, c.replicas)
		if s != c.wantSurge || u != c.wantUnav {
			t.Errorf("Surge(%q, %q, %d) = %d, %d; want %d, %d", c.surge, c.unavail, c.replicas, s, u, c.wantSurge, c.wantUnav)
		}
	}
}

func TestWeights(t *testing.T) {
	rolling := update3(commands.RolloutOptions{})
	can := update3(canary)
	w := func(pairs ...int) []appstate.Weight {
		var out []appstate.Weight
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, appstate.Weight{Release: pairs[i], Weight: pairs[i+1]})
		}
		return out
	}
	cases := []struct {
		name  string
		build func(*testing.T) *history
		want  []appstate.Weight
	}{
		{"never deployed", newHistory, nil},
		{"deployed before rollouts", beforeRollouts, w(1, 100)},
		{"first release", func(t *testing.T) *history { return newHistory(t).deploy(0, "berth-testapp:v1", 2, canary) }, w(1, 100)},
		{"serving", func(t *testing.T) *history { return serving(t, 3) }, w(1, 100)},

		{"rolling: every healthy endpoint alike", rolling, nil},
		{"rolling: paused", with(rolling, func(h *history) *history { return h.action(101, commands.ActionPause) }), nil},
		{"rolling: stepped", with(rolling, func(h *history) *history { return h.stepTo(110, 2, 1, 0, 2) }), nil},
		{"rolling: succeeded", with(rolling, func(h *history) *history { return h.succeed(120, 2) }), w(2, 100)},
		{"rolling: rolled back", with(rolling, func(h *history) *history { return h.rollBack(120, 2, 1) }), w(1, 100)},
		{"rolling: a rollback to a release that is gone",
			with(rolling, func(h *history) *history {
				return h.succeed(120, 2).gone(121, "a1", "a2", "a3").do(130, commands.Rollback{App: "web"}.Decide)
			}), nil},
		{"rolling: an instant rollback",
			with(rolling, func(h *history) *history { return h.succeed(120, 2).do(130, commands.Rollback{App: "web"}.Decide) }), w(1, 100)},

		{"canary: first step", can, w(2, 10, 1, 90)},
		{"canary: paused keeps its weights", with(can, func(h *history) *history { return h.action(101, commands.ActionPause) }),
			w(2, 10, 1, 90)},
		{"canary: promoted", with(can, func(h *history) *history { return h.stepTo(130, 2, 1, 50, -1) }), w(2, 50, 1, 50)},
		{"canary: last step", with(can, func(h *history) *history { return h.stepTo(130, 2, 2, 100, -1) }), w(2, 100, 1, 0)},
		{"canary: succeeded", with(can, func(h *history) *history { return h.stepTo(130, 2, 2, 100, -1).succeed(160, 2) }), w(2, 100)},
		{"canary: rolled back", with(can, func(h *history) *history { return h.stepTo(130, 2, 1, 50, -1).rollBack(160, 2, 1) }),
			w(1, 100)},
		{"canary: failed keeps its weights",
			with(update3(commands.RolloutOptions{Strategy: events.StrategyCanary, AutoRollback: off()}),
				func(h *history) *history { return h.stepTo(130, 2, 1, 50, -1).fail(160, 2) }), w(2, 50, 1, 50)},
		{"canary: superseded by a rolling deploy",
			with(can, func(h *history) *history { return h.deploy(110, "berth-testapp:v3", 3, commands.RolloutOptions{}) }), nil},
		{"canary: superseded by a canary deploy starts again from the release that served",
			with(can, func(h *history) *history {
				return h.stepTo(130, 2, 1, 50, -1).deploy(140, "berth-testapp:v3", 3, canary)
			}),
			w(3, 10, 1, 90)},
		{"canary: aborted", with(can, func(h *history) *history { return h.action(110, commands.ActionAbort) }), w(1, 100)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.build(t).app.Weights(); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Weights() = %v, want %v", got, c.want)
			}
		})
	}
}

// A rolling update that failed keeps both releases' instances (Wants keeps
// Old), so the gateway must keep spreading traffic over every healthy
// endpoint as during the update; all of it to the target would pile the
// traffic on the few new instances while the kept old ones idle.
func TestWeightsFailedRolling(t *testing.T) {
	h := update3(commands.RolloutOptions{AutoRollback: off()})(t).stepTo(110, 2, 1, 0, 2).fail(220, 2)
	if got := h.app.Weights(); got != nil {
		t.Fatalf("Weights() = %v, want nil (every healthy endpoint alike)", got)
	}
}
