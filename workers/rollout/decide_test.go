package rollout_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
	"github.com/berth-dev/berth/workers/rollout"
)

func off() *bool { return new(bool) }

// update is serving(3) and a deploy of release 2 at 100s with o.
func update(o commands.RolloutOptions) func(*testing.T) *history {
	return func(t *testing.T) *history {
		return serving(t, 3).deploy(100, "berth-testapp:v2", 3, o)
	}
}

var canaryOpts = commands.RolloutOptions{Strategy: events.StrategyCanary}

// canaryWith is the default canary with changes.
func canaryWith(change func(*commands.RolloutOptions)) commands.RolloutOptions {
	o := canaryOpts
	change(&o)
	return o
}

// then extends a build with more history.
func then(build func(*testing.T) *history, more func(*history)) func(*testing.T) *history {
	return func(t *testing.T) *history {
		h := build(t)
		more(h)
		return h
	}
}

func stepped(step, weight, keepOld int, in events.RolloutInputs) events.Event {
	return events.RolloutStepped{App: "web", Release: 2, Step: step, Weight: weight, KeepOld: keepOld, Inputs: in}
}

func rolledBack(in events.RolloutInputs) events.Event {
	return events.RolloutRolledBack{App: "web", Release: 2, To: 1, Inputs: in}
}

func failed(release int, in events.RolloutInputs) events.Event {
	return events.RolloutFailed{App: "web", Release: release, Inputs: in}
}

func succeeded(release int, in events.RolloutInputs) events.Event {
	return events.RolloutSucceeded{App: "web", Release: release, Inputs: in}
}

type decideCase struct {
	name    string
	build   func(*testing.T) *history
	now     float64
	traffic func(time.Time) rollout.Traffic
	want    events.Event // Reason is not compared
	reason  string       // a part of the reason, when want is not nil
	wants   *appstate.Wants
}

func runDecide(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.build(t)
			if c.wants != nil {
				if got := h.app.Wants(); got != *c.wants {
					t.Errorf("Wants() = %+v, want %+v", got, *c.wants)
				}
			}
			before := h.app.Clone()
			got := h.decide(c.now, c.traffic)
			if !reflect.DeepEqual(withoutReason(got), c.want) {
				t.Fatalf("Decide at %gs:\n got %#v\nwant %#v", c.now, withoutReason(got), c.want)
			}
			if c.want != nil && !strings.Contains(reasonOf(got), c.reason) {
				t.Errorf("reason %q does not say %q", reasonOf(got), c.reason)
			}
			if !reflect.DeepEqual(before, h.app) {
				t.Errorf("Decide changed the app state it was given")
			}
		})
	}
}

func TestDecideRolling(t *testing.T) {
	def := update(commands.RolloutOptions{})
	b1 := then(def, func(h *history) { h.up(110, 2, "b1") })
	runDecide(t, []decideCase{
		{name: "nothing new yet: wait", build: def, now: 101, wants: &appstate.Wants{Target: 1, Old: 3, From: 1}},
		{name: "a starting instance does not count", build: then(def, func(h *history) { h.started(105, 2, "b1") }), now: 200},
		{name: "healthy for less than min healthy does not count", build: b1, now: 114.9},
		{name: "healthy for min healthy lets one old go", build: b1, now: 115,
			want:   stepped(1, 0, 2, events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}}),
			reason: "keep 2 of the old"},
		{name: "min healthy 0 counts a healthy instance at once",
			build: then(update(commands.RolloutOptions{MinHealthy: "0s"}), func(h *history) { h.up(110, 2, "b1") }), now: 110,
			want: stepped(1, 0, 2, events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}})},
		{name: "no step while the available count is unchanged",
			build: then(b1, func(h *history) { h.step(115, nil); h.gone(116, "a1") }), now: 200,
			wants: &appstate.Wants{Target: 2, Old: 2, From: 1}},
		{name: "keep shrinks with the next available",
			build: then(b1, func(h *history) { h.step(115, nil); h.gone(116, "a1"); h.up(120, 2, "b2") }), now: 125,
			want: stepped(2, 0, 1, events.RolloutInputs{Desired: 3, Healthy: 2, Available: 2, OldLive: 2, Instances: []string{"b1", "b2"}})},
		{name: "succeeds when replicas new instances are available",
			build: then(def, func(h *history) { h.up(110, 2, "b1", "b2", "b3") }), now: 115,
			want:   succeeded(2, events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3, OldLive: 3, Instances: []string{"b1", "b2", "b3"}}),
			reason: "3/3 instances of release 2 healthy for 5s"},
		{name: "max unavailable 1 lets one old go before any new is proven",
			build: update(commands.RolloutOptions{MaxUnavailable: "1"}), now: 100,
			want:  stepped(1, 0, 2, events.RolloutInputs{Desired: 3, OldLive: 3}),
			wants: &appstate.Wants{Target: 1, Old: 3, From: 1, Unavailable: 1}},
		{name: "max unavailable as a share rounds down (50% of 3 is 1)",
			build: update(commands.RolloutOptions{MaxUnavailable: "50%"}), now: 100,
			want: stepped(1, 0, 2, events.RolloutInputs{Desired: 3, OldLive: 3})},
		{name: "max unavailable below one instance waits (25% of 3 is 0)",
			build: update(commands.RolloutOptions{MaxUnavailable: "25%"}), now: 100},
		{name: "max unavailable and available instances add up",
			build: then(update(commands.RolloutOptions{MaxUnavailable: "1"}), func(h *history) {
				h.step(100, nil)
				h.up(105, 2, "b1")
			}), now: 110,
			want: stepped(2, 0, 1, events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}})},
		{name: "max unavailable 100% lets every old one go at once",
			build: update(commands.RolloutOptions{MaxUnavailable: "100%"}), now: 100,
			want: stepped(1, 0, 0, events.RolloutInputs{Desired: 3, OldLive: 3})},
		{name: "an unhealthy new instance does not count",
			build: then(b1, func(h *history) { h.sick(112, "b1") }), now: 115},
	})
}

func TestDecideFirstRelease(t *testing.T) {
	first := func(replicas int, o commands.RolloutOptions) func(*testing.T) *history {
		return func(t *testing.T) *history {
			return newHistory(t).deploy(0, "berth-testapp:v1", replicas, o)
		}
	}
	runDecide(t, []decideCase{
		{name: "waits for its instances, no steps", build: then(first(2, commands.RolloutOptions{MaxUnavailable: "1"}),
			func(h *history) { h.up(1, 1, "a1") }), now: 10, wants: &appstate.Wants{Target: 2}},
		{name: "succeeds when replicas are available",
			build: then(first(2, commands.RolloutOptions{}), func(h *history) { h.up(1, 1, "a1", "a2") }), now: 6,
			want: succeeded(1, events.RolloutInputs{Desired: 2, Healthy: 2, Available: 2, Instances: []string{"a1", "a2"}})},
		{name: "not before min healthy",
			build: then(first(2, commands.RolloutOptions{}), func(h *history) { h.up(1, 1, "a1", "a2") }), now: 5.9},
		{name: "zero replicas succeed at once", build: first(0, commands.RolloutOptions{}), now: 0,
			want: succeeded(1, events.RolloutInputs{})},
		{name: "a first canary has nothing to compare and succeeds like a rolling one",
			build: then(first(2, canaryOpts), func(h *history) { h.up(1, 1, "a1", "a2") }), now: 6,
			want: succeeded(1, events.RolloutInputs{Desired: 2, Healthy: 2, Available: 2, Instances: []string{"a1", "a2"}})},
		{name: "failures fail it: there is nothing to roll back to",
			build: then(first(2, commands.RolloutOptions{}), func(h *history) { h.started(1, 1, "a1", "a2").exit(2, "a1", "a2") }), now: 3,
			want:   failed(1, events.RolloutInputs{Desired: 2, Failures: 2}),
			reason: "2 instance(s) of release 1 failed (a1 exited, a2 exited); the limit is 2"},
		{name: "the deadline fails it",
			build: then(first(1, commands.RolloutOptions{}), func(h *history) { h.started(1, 1, "a1") }), now: 120.5,
			want:   failed(1, events.RolloutInputs{Desired: 1}),
			reason: "progress deadline 2m0s passed with 0/1 instances of release 1 available"},
	})
}

func TestDecideFailures(t *testing.T) {
	def := update(commands.RolloutOptions{})
	noRollback := update(commands.RolloutOptions{AutoRollback: off()})
	twoFail := func(h *history) { h.started(105, 2, "b1", "b2").sick(110, "b1").exit(111, "b2") }
	runDecide(t, []decideCase{
		{name: "one failure is below the limit", build: then(def, func(h *history) { h.started(105, 2, "b1").sick(110, "b1") }), now: 111},
		{name: "failures reaching the limit roll back", build: then(def, twoFail), now: 112,
			want:   rolledBack(events.RolloutInputs{Desired: 3, Failures: 2, OldLive: 3}),
			reason: "2 instance(s) of release 2 failed (b1 unhealthy, b2 exited); the limit is 2; rolled back to release 1"},
		{name: "failures reaching the limit fail without auto-rollback", build: then(noRollback, twoFail), now: 112,
			want: failed(2, events.RolloutInputs{Desired: 3, Failures: 2, OldLive: 3})},
		{name: "a limit of 1",
			build: then(update(commands.RolloutOptions{MaxFailures: 1}), func(h *history) { h.started(105, 2, "b1").exit(106, "b1") }), now: 107,
			want: rolledBack(events.RolloutInputs{Desired: 3, Failures: 1, OldLive: 3})},
		{name: "failed instances still count once replaced",
			build: then(def, func(h *history) { twoFail(h); h.gone(112, "b1", "b2").up(113, 2, "b3") }), now: 120,
			want: rolledBack(events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, Failures: 2, OldLive: 3, Instances: []string{"b3"}})},
		{name: "failures of the old release do not count",
			build: then(def, func(h *history) { h.sick(105, "a1").exit(106, "a2") }), now: 107},
		{name: "failures before the rollout do not count",
			build: func(t *testing.T) *history {
				h := serving(t, 3)
				h.started(50, 1, "x1", "x2").exit(51, "x1", "x2")
				return h.deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{})
			}, now: 101},
		{name: "failures win over success",
			build: then(def, func(h *history) { h.up(105, 2, "b1", "b2", "b3").started(105, 2, "b4", "b5").exit(106, "b4", "b5") }), now: 115,
			want: rolledBack(events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3, Failures: 2, OldLive: 3, Instances: []string{"b1", "b2", "b3"}})},
	})
}

func TestDecideDeadline(t *testing.T) {
	def := update(commands.RolloutOptions{})
	runDecide(t, []decideCase{
		{name: "exactly at the deadline it still waits", build: def, now: 220},
		{name: "past the deadline it rolls back", build: def, now: 220.001,
			want:   rolledBack(events.RolloutInputs{Desired: 3, OldLive: 3}),
			reason: "progress deadline 2m0s passed with 0/3 instances of release 2 available; rolled back to release 1"},
		{name: "past the deadline it fails without auto-rollback", build: update(commands.RolloutOptions{AutoRollback: off()}), now: 221,
			want: failed(2, events.RolloutInputs{Desired: 3, OldLive: 3})},
		{name: "a deadline of its own", build: update(commands.RolloutOptions{ProgressDeadline: "30s"}), now: 131,
			want: rolledBack(events.RolloutInputs{Desired: 3, OldLive: 3}), reason: "progress deadline 30s passed"},
		{name: "progress does not extend the deadline",
			build: then(def, func(h *history) { h.up(110, 2, "b1"); h.step(115, nil) }), now: 221,
			want:   rolledBack(events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}}),
			reason: "1/3 instances"},
	})
}

func TestDecidePaused(t *testing.T) {
	pause := func(sec float64) func(*history) {
		return func(h *history) { h.do(sec, commands.RolloutAction{App: "web", Action: commands.ActionPause}.Decide) }
	}
	resume := func(sec float64) func(*history) {
		return func(h *history) { h.do(sec, commands.RolloutAction{App: "web", Action: commands.ActionResume}.Decide) }
	}
	paused := then(update(commands.RolloutOptions{}), pause(105))
	runDecide(t, []decideCase{
		{name: "never steps", build: then(paused, func(h *history) { h.up(110, 2, "b1") }), now: 115},
		{name: "never steps on max unavailable", build: then(update(commands.RolloutOptions{MaxUnavailable: "1"}), pause(100)), now: 101},
		{name: "never succeeds", build: then(paused, func(h *history) { h.up(110, 2, "b1", "b2", "b3") }), now: 200},
		{name: "never times out", build: paused, now: 100_000},
		{name: "failures wait for the resume",
			build: then(paused, func(h *history) { h.started(110, 2, "b1", "b2").exit(111, "b1", "b2") }), now: 112},
		{name: "a paused canary is never judged",
			build: then(update(canaryOpts), func(h *history) { pause(101)(h); h.up(101, 2, "b1") }), now: 200,
			traffic: always(flat(100, 50, 50))},
		{name: "resumed, it steps again",
			build: then(paused, func(h *history) { resume(106)(h); h.up(110, 2, "b1") }), now: 115,
			want: stepped(1, 0, 2, events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}})},
		{name: "resumed, failures end it",
			build: then(paused, func(h *history) { h.started(110, 2, "b1", "b2").exit(111, "b1", "b2"); resume(150)(h) }), now: 150,
			want: rolledBack(events.RolloutInputs{Desired: 3, Failures: 2, OldLive: 3})},
	})
}

// A pause longer than the progress deadline must not make the resumed
// rollout time out at once: the paused time is not progress time (a
// Kubernetes resume restarts the progress deadline too).
func TestDecideResumeAfterLongPause(t *testing.T) {
	h := update(commands.RolloutOptions{})(t)
	h.do(105, commands.RolloutAction{App: "web", Action: commands.ActionPause}.Decide)
	h.do(1000, commands.RolloutAction{App: "web", Action: commands.ActionResume}.Decide)
	if got := h.decide(1001, nil); got != nil {
		t.Fatalf("Decide 1s after the resume: got %#v, want nil (waiting for release 2's instances)", got)
	}
}

func TestDecideScale(t *testing.T) {
	scale := func(sec float64, n int) func(*history) {
		return func(h *history) { h.do(sec, commands.Scale{App: "web", Replicas: n}.Decide) }
	}
	b1 := then(update(commands.RolloutOptions{}), func(h *history) { h.up(110, 2, "b1") })
	runDecide(t, []decideCase{
		{name: "scale up keeps the old kept and asks more new",
			build: then(b1, func(h *history) { h.step(115, nil); scale(116, 5)(h) }), now: 200,
			wants: &appstate.Wants{Target: 5, Old: 2, From: 1}},
		{name: "scale up: keep shrinks against the new replicas",
			build: then(b1, func(h *history) {
				h.step(115, nil)
				h.up(116, 2, "b2")
				scale(117, 5)(h)
				h.up(118, 2, "b3", "b4")
			}), now: 123,
			wants: &appstate.Wants{Target: 5, Old: 2, From: 1},
			want: stepped(2, 0, 1, events.RolloutInputs{Desired: 5, Healthy: 4, Available: 4, OldLive: 3,
				Instances: []string{"b1", "b2", "b3", "b4"}})},
		{name: "scale up before the first step: surge of the new replicas",
			build: then(update(commands.RolloutOptions{}), scale(101, 5)), now: 102,
			wants: &appstate.Wants{Target: 2, Old: 5, From: 1}},
		{name: "scale down succeeds with what is there",
			build: then(b1, scale(111, 1)), now: 115, wants: &appstate.Wants{Target: 1, Old: 1, From: 1},
			want: succeeded(2, events.RolloutInputs{Desired: 1, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}})},
		{name: "scale to zero succeeds at once",
			build: then(update(commands.RolloutOptions{}), scale(101, 0)), now: 101, wants: &appstate.Wants{From: 1},
			want: succeeded(2, events.RolloutInputs{OldLive: 3})},
		{name: "scale during a canary: the step's count follows the replicas",
			build: then(update(canaryOpts), func(h *history) { h.up(105, 2, "b1"); scale(106, 20)(h) }), now: 130,
			traffic: always(flat(100, 0, 50)), wants: &appstate.Wants{Target: 2, Old: 20, From: 1}},
		{name: "scale during a canary: judged once the step's count is there",
			build: then(update(canaryOpts), func(h *history) { h.up(105, 2, "b1", "b2"); scale(106, 20)(h) }), now: 130,
			traffic: always(flat(100, 0, 50)),
			want: stepped(1, 50, -1, events.RolloutInputs{Desired: 20, Healthy: 2, Available: 2, OldLive: 3,
				Instances: []string{"b1", "b2"}, Requests: 100, P99MS: 50})},
	})
}

func TestDecideNothingToDo(t *testing.T) {
	v2up := then(update(commands.RolloutOptions{}), func(h *history) { h.up(105, 2, "b1", "b2", "b3") })
	runDecide(t, []decideCase{
		{name: "an app never deployed", build: newHistory, now: 100},
		{name: "an app from before rollouts",
			build: func(t *testing.T) *history {
				return newHistory(t).at(0, events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "x", Replicas: 1}})
			}, now: 100},
		{name: "an ended rollout", build: func(t *testing.T) *history { return serving(t, 3) }, now: 10_000},
		{name: "a superseded rollout: the newer one decides, on its own release",
			build: then(v2up, func(h *history) { h.deploy(106, "berth-testapp:v3", 3, commands.RolloutOptions{}) }), now: 200,
			wants: &appstate.Wants{Target: 1, Old: 3, From: 1}},
		{name: "a superseded rollout before the newer one starts",
			build: then(v2up, func(h *history) { h.at(106, events.RolloutSuperseded{App: "web", Release: 2, By: 3}) }), now: 200},
		{name: "a stopped app",
			build: then(update(commands.RolloutOptions{}), func(h *history) { h.do(101, commands.Stop{App: "web"}.Decide) }), now: 300,
			wants: &appstate.Wants{}},
		{name: "a stopped app whose rollout was left live",
			build: then(v2up, func(h *history) { h.at(106, events.AppStopped{App: "web"}) }), now: 300},
	})
}

func TestDecideSupersededRolloutIsTheNewest(t *testing.T) {
	h := update(commands.RolloutOptions{})(t)
	h.up(105, 2, "b1", "b2", "b3")
	h.deploy(106, "berth-testapp:v3", 3, commands.RolloutOptions{})
	ro := h.app.Rollout
	if ro.Release != 3 || ro.From != 1 || !ro.Live() || h.app.Releases[2].Outcome != appstate.RolloutSuperseded {
		t.Fatalf("rollout %+v, release 2 %+v: want release 3 from 1 live, 2 superseded", ro, h.app.Releases[2])
	}
	h.up(110, 3, "c1")
	got := withoutReason(h.decide(115, nil))
	want := events.RolloutStepped{App: "web", Release: 3, Step: 1, KeepOld: 2,
		Inputs: events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 6, Instances: []string{"c1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestDecideNilApp(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Decide(Input{}) panicked: %v", r)
		}
	}()
	if got := rollout.Decide(rollout.Input{Now: at(0)}); got != nil {
		t.Fatalf("got %#v, want nil", got)
	}
}

// A rollback whose release has no instances left rolls like an update,
// and without auto-rollback: it can only fail.
func TestDecideRollbackRollout(t *testing.T) {
	build := func(t *testing.T) *history {
		h := update(commands.RolloutOptions{})(t)
		h.up(105, 2, "b1", "b2", "b3")
		if _, ok := h.step(110, nil).(events.RolloutSucceeded); !ok {
			t.Fatalf("release 2 did not succeed")
		}
		h.gone(111, "a1", "a2", "a3")
		h.do(120, commands.Rollback{App: "web"}.Decide)
		if ro := h.app.Rollout; !ro.Live() || !ro.Rollback || ro.Release != 1 || ro.From != 2 || h.app.Target != 1 {
			t.Fatalf("rollback rollout %+v, target %d", ro, h.app.Target)
		}
		return h
	}
	runDecide(t, []decideCase{
		{name: "steps as its instances come", build: then(build, func(h *history) { h.up(121, 1, "c1") }), now: 126,
			wants: &appstate.Wants{Target: 1, Old: 3, From: 2},
			want: events.RolloutStepped{App: "web", Release: 1, Step: 1, KeepOld: 2,
				Inputs: events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"c1"}}}},
		{name: "fails, never rolls back",
			build: then(build, func(h *history) { h.started(121, 1, "c1", "c2").exit(122, "c1", "c2") }), now: 123,
			want: failed(1, events.RolloutInputs{Desired: 3, Failures: 2, OldLive: 3})},
	})
}

// A rollout whose every new instance is available has made it, even when
// the decision comes after the deadline (the worker was down, as in a
// kill -9 of the server mid-rollout): rolling it back would start old
// instances again to replace a release that is fully up and healthy.
func TestDecideCompleteRolloutPastItsDeadline(t *testing.T) {
	h := update(commands.RolloutOptions{})(t)
	h.up(105, 2, "b1", "b2", "b3") // available from 110; the worker decides again only at 300
	got := withoutReason(h.decide(300, nil))
	want := succeeded(2, events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3, OldLive: 3, Instances: []string{"b1", "b2", "b3"}})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}
