package appstate_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// outcome is what a folded history says about releases and rollouts.
type outcome struct {
	Version, Target int
	Image           string
	Replicas        int
	Stopped         bool
	// Rollout: release, from, status ("" without one).
	Release, From int
	Status        string
	// Outcomes and Failures by release version.
	Outcomes map[int]string
	Failures map[int]int
}

func outcomeOf(a *appstate.App) outcome {
	o := outcome{Version: a.Version, Target: a.Target, Image: a.Spec.Image, Replicas: a.Spec.Replicas, Stopped: a.Stopped,
		Outcomes: map[int]string{}, Failures: map[int]int{}}
	if ro := a.Rollout; ro != nil {
		o.Release, o.From, o.Status = ro.Release, ro.From, ro.Status
	}
	for v, r := range a.Releases {
		o.Outcomes[v], o.Failures[v] = r.Outcome, r.Failures
	}
	return o
}

func TestFoldReleases(t *testing.T) {
	const succ, rb, sup = appstate.RolloutSucceeded, appstate.RolloutRolledBack, appstate.RolloutSuperseded
	none := map[int]int{1: 0, 2: 0}
	v2 := func(t *testing.T) *history {
		return serving(t, 2).deploy(100, "berth-testapp:v2", 4, commands.RolloutOptions{})
	}
	cases := []struct {
		name  string
		build func(*testing.T) *history
		want  outcome
	}{
		{"first release in progress", func(t *testing.T) *history {
			return newHistory(t).deploy(0, "berth-testapp:v1", 2, commands.RolloutOptions{})
		},
			outcome{Version: 1, Target: 1, Image: "berth-testapp:v1", Replicas: 2, Release: 1, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: ""}, Failures: map[int]int{1: 0}}},
		{"first release succeeded", func(t *testing.T) *history { return serving(t, 2) },
			outcome{Version: 1, Target: 1, Image: "berth-testapp:v1", Replicas: 2, Release: 1, Status: succ,
				Outcomes: map[int]string{1: succ}, Failures: map[int]int{1: 0}}},
		{"an update in progress targets the new release", v2,
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: succ, 2: ""}, Failures: none}},
		{"an update paused", func(t *testing.T) *history { return v2(t).action(101, commands.ActionPause) },
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: appstate.RolloutPaused,
				Outcomes: map[int]string{1: succ, 2: ""}, Failures: none}},
		{"an update that succeeded", func(t *testing.T) *history { return v2(t).succeed(120, 2) },
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: succ,
				Outcomes: map[int]string{1: succ, 2: succ}, Failures: none}},
		{"a rollback retargets the old release and keeps the replicas",
			func(t *testing.T) *history { return v2(t).scale(101, 5).rollBack(120, 2, 1) },
			outcome{Version: 2, Target: 1, Image: "berth-testapp:v1", Replicas: 5, Release: 2, From: 1, Status: rb,
				Outcomes: map[int]string{1: succ, 2: rb}, Failures: none}},
		{"an abort is a rollback", func(t *testing.T) *history { return v2(t).action(101, commands.ActionAbort) },
			outcome{Version: 2, Target: 1, Image: "berth-testapp:v1", Replicas: 4, Release: 2, From: 1, Status: rb,
				Outcomes: map[int]string{1: succ, 2: rb}, Failures: none}},
		{"a failed update keeps its target", func(t *testing.T) *history { return v2(t).fail(220, 2) },
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: appstate.RolloutFailed,
				Outcomes: map[int]string{1: succ, 2: appstate.RolloutFailed}, Failures: none}},
		{"a deploy during an update supersedes it and starts from the release that served",
			func(t *testing.T) *history {
				return v2(t).deploy(110, "berth-testapp:v3", 4, commands.RolloutOptions{})
			},
			outcome{Version: 3, Target: 3, Image: "berth-testapp:v3", Replicas: 4, Release: 3, From: 1, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: succ, 2: sup, 3: ""}, Failures: map[int]int{1: 0, 2: 0, 3: 0}}},
		{"a stop during an update supersedes it",
			func(t *testing.T) *history { return v2(t).do(110, commands.Stop{App: "web"}.Decide) },
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 0, Stopped: true, Release: 2, From: 1, Status: sup,
				Outcomes: map[int]string{1: succ, 2: sup}, Failures: none}},
		{"a deploy after a stop starts from nothing",
			func(t *testing.T) *history {
				return serving(t, 2).do(50, commands.Stop{App: "web"}.Decide).deploy(100, "berth-testapp:v2", 2, commands.RolloutOptions{})
			},
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 2, Release: 2, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: succ, 2: ""}, Failures: none}},
		{"a rollback whose release still runs is instant",
			func(t *testing.T) *history {
				h := serving(t, 2).deploy(100, "berth-testapp:v2", 2, commands.RolloutOptions{})
				return h.up(105, 2, "b1", "b2").succeed(110, 2).do(200, commands.Rollback{App: "web"}.Decide)
			},
			outcome{Version: 2, Target: 1, Image: "berth-testapp:v1", Replicas: 2, Release: 1, From: 2, Status: succ,
				Outcomes: map[int]string{1: succ, 2: succ}, Failures: none}},
		{"a rollback whose release is gone rolls and clears its old outcome",
			func(t *testing.T) *history {
				return v2(t).succeed(110, 2).gone(111, "a1", "a2").do(200, commands.Rollback{App: "web"}.Decide)
			},
			outcome{Version: 2, Target: 1, Image: "berth-testapp:v1", Replicas: 4, Release: 1, From: 2, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: "", 2: succ}, Failures: none}},
		{"a rollback to a named release during an update supersedes it",
			func(t *testing.T) *history {
				h := v2(t).succeed(110, 2).deploy(200, "berth-testapp:v3", 4, commands.RolloutOptions{})
				return h.do(210, commands.Rollback{App: "web", To: 1}.Decide)
			},
			outcome{Version: 3, Target: 1, Image: "berth-testapp:v1", Replicas: 4, Release: 1, From: 3, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: "", 2: succ, 3: sup}, Failures: map[int]int{1: 0, 2: 0, 3: 0}}},
		{"events of another release leave the live rollout alone",
			func(t *testing.T) *history {
				return v2(t).at(101, events.RolloutPaused{App: "web", Release: 1}).stepTo(102, 1, 1, 0, 0).succeed(103, 1)
			},
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: appstate.RolloutProgressing,
				Outcomes: map[int]string{1: succ, 2: ""}, Failures: none}},
		{"a pause after the end is ignored",
			func(t *testing.T) *history {
				return v2(t).succeed(120, 2).at(121, events.RolloutPaused{App: "web", Release: 2})
			},
			outcome{Version: 2, Target: 2, Image: "berth-testapp:v2", Replicas: 4, Release: 2, From: 1, Status: succ,
				Outcomes: map[int]string{1: succ, 2: succ}, Failures: none}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := outcomeOf(c.build(t).app); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestFoldRolloutFields(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, canary)
	want := appstate.Rollout{Release: 2, From: 1, Status: appstate.RolloutProgressing, Weight: 10, KeepOld: -1,
		StartedAt: at(100), StepAt: at(100), Reason: "release 2 replaces release 1 (canary)"}
	check := func(when string) {
		t.Helper()
		got := *h.app.Rollout
		got.Spec = appstate.Rollout{}.Spec
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", when, got, want)
		}
	}
	check("started")
	if s := h.app.Rollout.Spec; s.Strategy != events.StrategyCanary || !reflect.DeepEqual(s.CanarySteps, []int{10, 50, 100}) ||
		s.CanaryIntervalMS != 30_000 || s.MinHealthyMS != 5000 || s.ProgressDeadlineMS != 120_000+3*30_000 || !s.AutoRollback ||
		s.MaxFailures != 2 || s.MaxErrorRate != 0.01 || s.MinRequests != 20 {
		t.Fatalf("the started rollout's spec lacks a resolved default: %+v", s)
	}
	h.stepTo(130, 2, 1, 50, -1)
	want.Step, want.Weight, want.StepAt, want.Reason = 1, 50, at(130), "step"
	check("stepped")
	h.action(140, commands.ActionPause)
	want.Status, want.Reason, want.PausedAt = appstate.RolloutPaused, "pause requested", at(140)
	check("paused")
	h.action(150, commands.ActionResume)
	want.Status, want.Reason, want.StepAt, want.PausedAt = appstate.RolloutProgressing, "resume requested", at(150), time.Time{}
	// The 10s paused don't count toward the deadline.
	want.StartedAt = want.StartedAt.Add(10 * time.Second)
	check("resumed: the interval starts again")
	h.stepTo(151, 1, 2, 100, -1) // a step of another release
	check("a step of another release")
	h.succeed(190, 2)
	want.Status, want.Reason, want.EndedAt = appstate.RolloutSucceeded, "all healthy", at(190)
	check("succeeded")
	if r := h.app.Releases[2]; r.Reason != "all healthy" || !r.CreatedAt.Equal(at(100)) || r.Spec.Image != "berth-testapp:v2" {
		t.Fatalf("release 2 %+v", r)
	}
}

func TestFoldRollingKeepOld(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{})
	if ro := h.app.Rollout; ro.KeepOld != -1 || ro.Weight != 0 {
		t.Fatalf("started: keep %d weight %d, want -1 and 0", ro.KeepOld, ro.Weight)
	}
	h.stepTo(110, 2, 1, 0, 2).stepTo(120, 2, 2, 0, 1)
	if ro := h.app.Rollout; ro.KeepOld != 1 || ro.Step != 2 || !ro.StepAt.Equal(at(120)) {
		t.Fatalf("stepped: %+v", ro)
	}
}

func TestFoldSupersededReasons(t *testing.T) {
	h := serving(t, 2).deploy(100, "berth-testapp:v2", 2, commands.RolloutOptions{})
	h.deploy(110, "berth-testapp:v3", 2, commands.RolloutOptions{})
	if r := h.app.Releases[2]; r.Outcome != appstate.RolloutSuperseded || r.Reason != "superseded by release 3" {
		t.Fatalf("release 2 %+v", r)
	}
	h.do(120, commands.Stop{App: "web"}.Decide)
	if r, ro := h.app.Releases[3], h.app.Rollout; r.Reason != "app stopped" || ro.Reason != "app stopped" || !ro.EndedAt.Equal(at(120)) {
		t.Fatalf("release 3 %+v, rollout %+v", r, ro)
	}
}

func TestFoldFailures(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{MaxFailures: 10})
	steps := []struct {
		what   string
		do     func()
		v1, v2 int
	}{
		{"an old instance fails", func() { h.sick(101, "a1").exit(102, "a2") }, 0, 0},
		{"a new instance fails its health check", func() { h.started(103, 2, "b1").sick(104, "b1") }, 0, 1},
		{"a failed instance fails again", func() { h.sick(105, "b1") }, 0, 1},
		{"a new instance exits", func() { h.started(106, 2, "b2").exit(107, "b2") }, 0, 2},
		{"an unscheduled instance's late exit", func() { h.started(108, 2, "b3").gone(109, "b3").exit(110, "b3") }, 0, 2},
		{"an unknown instance fails", func() { h.sick(111, "zz").exit(111, "zz") }, 0, 2},
		{"a new instance fails while paused", func() {
			h.action(112, commands.ActionPause).started(113, 2, "b4").exit(114, "b4").action(115, commands.ActionResume)
		}, 0, 3},
		{"failures after the rollout ended", func() { h.rollBack(120, 2, 1).started(121, 2, "b5").exit(122, "b5") }, 0, 3},
		{"a new rollout to the release counts from zero", func() {
			h.do(130, commands.Rollback{App: "web", To: 2}.Decide).started(131, 2, "b6").sick(132, "b6")
		}, 0, 1},
	}
	for _, s := range steps {
		s.do()
		if v1, v2 := h.app.Releases[1].Failures, h.app.Releases[2].Failures; v1 != s.v1 || v2 != s.v2 {
			t.Fatalf("%s: failures of release 1: %d, release 2: %d; want %d, %d", s.what, v1, v2, s.v1, s.v2)
		}
	}
}

// An instance that fails its health check and then exits is one failed
// instance: MaxFailures counts instances ("2 instance(s) of release 2
// failed"), so with the default of 2 a single hung-then-crashed instance
// must not end the rollout.
func TestFoldFailureCountsAnInstanceOnce(t *testing.T) {
	h := serving(t, 3).deploy(100, "berth-testapp:v2", 3, commands.RolloutOptions{})
	h.started(101, 2, "b1").sick(102, "b1").exit(103, "b1")
	if got := h.app.Releases[2].Failures; got != 1 {
		t.Fatalf("failures of release 2 = %d after one instance went unhealthy and exited, want 1", got)
	}
}

func TestReleaseSpec(t *testing.T) {
	h := newHistory(t).deployHealth(0, "berth-testapp:v1", "/_ping", 2)
	h.deployHealth(100, "berth-testapp:v2", "/nonexistent", 3).scale(101, 5)
	cases := []struct {
		version          int
		image, health    string
		replicasAsDeploy int
	}{
		{1, "berth-testapp:v1", "/_ping", 2},
		{2, "berth-testapp:v2", "/nonexistent", 3},
		{0, "berth-testapp:v2", "/nonexistent", 5}, // unknown: the app's current spec
		{7, "berth-testapp:v2", "/nonexistent", 5},
	}
	for _, c := range cases {
		s := h.app.ReleaseSpec(c.version)
		if s.Image != c.image || s.HealthPath != c.health || s.Replicas != c.replicasAsDeploy {
			t.Errorf("ReleaseSpec(%d) = image %s health %s replicas %d, want %s %s %d",
				c.version, s.Image, s.HealthPath, s.Replicas, c.image, c.health, c.replicasAsDeploy)
		}
	}
	h.rollBack(110, 2, 1)
	if s := h.app.Spec; s.Image != "berth-testapp:v1" || s.HealthPath != "/_ping" || s.Replicas != 5 {
		t.Fatalf("after the rollback the app's spec is %+v, want release 1's with 5 replicas", s)
	}
	if s := h.app.ReleaseSpec(1); s.Replicas != 2 {
		t.Fatalf("the rollback changed release 1's own spec: %+v", s)
	}
}

func TestCloneIsDeep(t *testing.T) {
	h := serving(t, 2).deploy(100, "berth-testapp:v2", 2, commands.RolloutOptions{})
	c := h.app.Clone()
	c.Releases[2].Failures = 9
	c.Releases[3] = &appstate.Release{Version: 3}
	c.Rollout.Status = appstate.RolloutFailed
	delete(c.Instances, "a1")
	if h.app.Releases[2].Failures != 0 || len(h.app.Releases) != 2 || h.app.Rollout.Status != appstate.RolloutProgressing ||
		len(h.app.Instances) != 2 {
		t.Fatalf("changing the clone changed the original")
	}
	if c := newHistory(t).app.Clone(); c.Rollout != nil {
		t.Fatalf("clone of an app without rollout has %+v", c.Rollout)
	}
}

func TestTerminal(t *testing.T) {
	for status, want := range map[string]bool{
		appstate.RolloutProgressing: false, appstate.RolloutPaused: false, "": false,
		appstate.RolloutSucceeded: true, appstate.RolloutRolledBack: true, appstate.RolloutFailed: true, appstate.RolloutSuperseded: true,
	} {
		if got := appstate.Terminal(status); got != want {
			t.Errorf("Terminal(%q) = %v", status, got)
		}
		ro := &appstate.Rollout{Status: status}
		if ro.Live() != (status == appstate.RolloutProgressing || status == appstate.RolloutPaused) {
			t.Errorf("Live() with status %q = %v", status, ro.Live())
		}
	}
	var none *appstate.Rollout
	if none.Live() {
		t.Errorf("a nil rollout is live")
	}
}
