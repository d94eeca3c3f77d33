package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

var (
	rolling = events.RolloutSpec{Strategy: events.StrategyRolling, MaxSurge: "25%", MaxUnavailable: "0",
		MinHealthyMS: 5000, ProgressDeadlineMS: 120000, AutoRollback: true, MaxFailures: 3}
	canary = events.RolloutSpec{Strategy: events.StrategyCanary, MaxSurge: "1", MaxUnavailable: "0",
		MinHealthyMS: 5000, ProgressDeadlineMS: 120000, AutoRollback: true, MaxFailures: 3,
		CanarySteps: []int{10, 50, 100}, CanaryIntervalMS: 30000, MaxErrorRate: 0.01, MinRequests: 20}
)

func specOf(image string) events.Spec {
	s := spec
	s.Image = image
	return s
}

// A release's outcome, reason and failures and a rollout's status, step,
// weight and steps follow the stream as the aggregate folds it; events for a
// rollout that is not the live one change nothing.
func TestReleasesAndRolloutsFollowTheStream(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	if _, err := h.store.Append(ctx, events.App("web"), events.ExpectAny,
		[]events.Event{events.AppDeployed{App: "web", Version: 1, Spec: specOf("web:1")}},
		events.AppendOptions{IdempotencyKey: "deploy-1"}); err != nil {
		t.Fatal(err)
	}
	in := events.RolloutInputs{Desired: 2, Healthy: 1, Available: 1, OldLive: 2, Requests: 100, Errors: 30, ErrorRate: 0.3, P99MS: 12.5}
	evs := []events.Event{
		events.RolloutStarted{App: "web", Release: 1, Spec: rolling, Reason: "first deploy"},
		events.InstanceScheduled{App: "web", Instance: "web-a", Version: 1, Host: "h1"},
		events.InstanceStarted{App: "web", Instance: "web-a", Host: "h1"},
		events.EndpointRegistered{App: "web", Instance: "web-a", Host: "h1", Addr: "127.0.0.2:1"},
		events.RolloutSucceeded{App: "web", Release: 1, Reason: "all healthy", Inputs: events.RolloutInputs{Desired: 1, Healthy: 1, Available: 1}},
		// A failure of a release no rollout brings in counts nowhere.
		events.InstanceHealthFailed{App: "web", Instance: "web-a", Reason: "timeout"},

		events.AppDeployed{App: "web", Version: 2, Spec: specOf("web:2")},
		events.RolloutStarted{App: "web", Release: 2, From: 1, Spec: canary, Reason: "deploy"},
		events.InstanceScheduled{App: "web", Instance: "web-b", Version: 2, Host: "h1"},
		events.InstanceStarted{App: "web", Instance: "web-b", Host: "h1"},
		events.InstanceHealthFailed{App: "web", Instance: "web-b", Reason: "503"},
		events.InstanceHealthFailed{App: "web", Instance: "web-b", Reason: "503 again"}, // already unhealthy
		events.InstanceExited{App: "web", Instance: "web-b", Host: "h1", ExitCode: 1},   // unhealthy → exited: the same failure
		events.RolloutStepped{App: "web", Release: 2, Step: 1, Weight: 50, KeepOld: 1, Reason: "canary healthy", Inputs: in},
		events.RolloutPaused{App: "web", Release: 2, Reason: "looking"},
		events.RolloutStepped{App: "web", Release: 1, Step: 9, Weight: 9, Reason: "not the live rollout"},
		events.RolloutResumed{App: "web", Release: 2, Reason: "go on"},
		events.RolloutRolledBack{App: "web", Release: 2, To: 1, Reason: "error rate 30% > 1%", Inputs: in},
		events.RolloutPaused{App: "web", Release: 2, Reason: "late"}, // ended already: changes nothing

		events.AppDeployed{App: "web", Version: 3, Spec: specOf("web:3")},
		events.RolloutStarted{App: "web", Release: 3, From: 1, Spec: rolling, Reason: "deploy"},
		events.AppDeployed{App: "web", Version: 4, Spec: specOf("web:4")},
		events.RolloutSuperseded{App: "web", Release: 3, By: 4},
		events.RolloutStarted{App: "web", Release: 4, From: 1, Spec: rolling, Reason: "deploy"},
		events.RolloutFailed{App: "web", Release: 4, Reason: "progress deadline 2m0s passed", Inputs: in},
	}
	for _, e := range evs {
		h.append(e)
	}
	h.runToEnd(h.runner())

	type rel struct {
		image, key, outcome, reason string
		failures                    int
	}
	want := map[int]rel{
		1: {"web:1", "deploy-1", "succeeded", "all healthy", 0},
		2: {"web:2", "", "rolled_back", "error rate 30% > 1%", 1},
		3: {"web:3", "", "superseded", "superseded by release 4", 0},
		4: {"web:4", "", "failed", "progress deadline 2m0s passed", 0},
	}
	rows, err := h.db.Query(ctx, `SELECT version, image, idempotency_key, outcome, reason, failures FROM releases WHERE app = 'web'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]rel{}
	for rows.Next() {
		var (
			v int
			r rel
		)
		if err := rows.Scan(&v, &r.image, &r.key, &r.outcome, &r.reason, &r.failures); err != nil {
			t.Fatal(err)
		}
		got[v] = r
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("releases = %v\nwant %v", got, want)
	}

	var (
		status, reason string
		step, weight   int
		to             *int
		errorRate      float64
	)
	err = h.db.QueryRow(ctx, `SELECT status, reason, step, weight, rolled_back_to, (inputs->>'error_rate')::float8
		FROM rollouts WHERE app = 'web' AND release = 2`).Scan(&status, &reason, &step, &weight, &to, &errorRate)
	if err != nil {
		t.Fatal(err)
	}
	if status != "rolled_back" || reason != "error rate 30% > 1%" || step != 1 || weight != 50 || to == nil || *to != 1 || errorRate != 0.3 {
		t.Errorf("rollout of 2 = %s %q step %d weight %d to %v error rate %v", status, reason, step, weight, to, errorRate)
	}
	steps := h.dumpQuery(`SELECT s.event || ':' || s.step || ':' || s.weight || ':' || s.keep_old FROM rollout_steps s
		JOIN rollouts r ON r.id = s.rollout_id WHERE r.release = 2 ORDER BY s.seq`)
	if want := "started:0:10:-1 stepped:1:50:1 paused:1:50:1 resumed:1:50:1 rolled_back:1:50:1"; steps != want {
		t.Errorf("steps of the rollout of 2 = %s, want %s", steps, want)
	}
	h.matchAggregate(evsWithDeploy(evs))
}

func evsWithDeploy(evs []events.Event) []events.Event {
	return append([]events.Event{events.AppDeployed{App: "web", Version: 1, Spec: specOf("web:1")}}, evs...)
}

// A random history of deploys, rollouts and instances over two apps, with
// events for rollouts that are not live, projected through crashes: the
// releases and rollouts equal the aggregate's and a replay's.
func TestReleasesCrashesApplyEveryEventExactlyOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	evs := releaseWorkload(11, 300)
	var last uint64
	appEvents := 0
	for _, e := range evs {
		last = h.append(e)
		appEvents++
	}
	h.crashUntil(ctx, last, 5)
	h.matchAggregate(evs)
	for _, q := range []string{`SELECT count(DISTINCT outcome) FROM releases WHERE outcome <> ''`,
		`SELECT count(*) FROM rollout_steps WHERE event = 'stepped'`} {
		if h.count(q) == 0 {
			t.Errorf("the workload exercised too little: %s is 0", q)
		}
	}
	h.assertMatchesReplay(ctx, appEvents, evs, "after crashes")
}

// releaseWorkload is a reproducible history of deploys and rollouts.
func releaseWorkload(seed uint64, n int) []events.Event {
	rng := rand.New(rand.NewPCG(seed, 3))
	apps := []string{"alpha", "bravo"}
	version := map[string]int{}
	var out []events.Event
	for _, app := range apps {
		version[app] = 1
		out = append(out, events.AppDeployed{App: app, Version: 1, Spec: specOf(app + ":1")})
	}
	for len(out) < n {
		app := apps[rng.IntN(len(apps))]
		v := version[app]
		rel := 1 + rng.IntN(v) // mostly the newest, sometimes a stale one
		if rng.IntN(3) > 0 {
			rel = v
		}
		inst := fmt.Sprintf("%s-%06x", app, rng.IntN(6))
		in := events.RolloutInputs{Desired: rng.IntN(4), Healthy: rng.IntN(4), Requests: int64(rng.IntN(200)), P99MS: float64(rng.IntN(900))}
		var e events.Event
		switch rng.IntN(14) {
		case 0:
			version[app]++
			e = events.AppDeployed{App: app, Version: version[app], Spec: specOf(fmt.Sprintf("%s:%d", app, version[app]))}
		case 1:
			sp := rolling
			if rng.IntN(2) == 0 {
				sp = canary
			}
			e = events.RolloutStarted{App: app, Release: rel, From: max(rel-1, 0), Rollback: rel < v, Spec: sp, Reason: "deploy"}
		case 2, 3:
			e = events.RolloutStepped{App: app, Release: rel, Step: rng.IntN(4), Weight: rng.IntN(101), KeepOld: rng.IntN(3), Reason: "step", Inputs: in}
		case 4:
			e = events.RolloutPaused{App: app, Release: rel, Reason: "pause"}
		case 5:
			e = events.RolloutResumed{App: app, Release: rel, Reason: "resume"}
		case 6:
			switch rng.IntN(4) {
			case 0:
				e = events.RolloutSucceeded{App: app, Release: rel, Reason: "done", Inputs: in}
			case 1:
				e = events.RolloutRolledBack{App: app, Release: rel, To: max(rel-1, 1), Reason: "bad", Inputs: in}
			case 2:
				e = events.RolloutFailed{App: app, Release: rel, Reason: "deadline", Inputs: in}
			default:
				e = events.RolloutSuperseded{App: app, Release: rel, By: v}
			}
		case 7, 8:
			e = events.InstanceScheduled{App: app, Instance: inst, Version: 1 + rng.IntN(v), Host: "h1"}
		case 9:
			e = events.InstanceStarted{App: app, Instance: inst, Host: "h1"}
		case 10:
			e = events.EndpointRegistered{App: app, Instance: inst, Host: "h1", Addr: "127.0.0.2:1"}
		case 11:
			e = events.InstanceHealthFailed{App: app, Instance: inst, Reason: "timeout"}
		case 12:
			e = events.InstanceExited{App: app, Instance: inst, Host: "h1", ExitCode: 1}
		case 13:
			if rng.IntN(2) == 0 {
				e = events.InstanceUnscheduled{App: app, Instance: inst, Host: "h1", Reason: "replace"}
			} else {
				e = events.InstanceStopped{App: app, Instance: inst, Host: "h1"}
			}
		}
		out = append(out, e)
	}
	return out
}

// matchAggregate folds evs as the command side does and compares every
// release and each app's latest rollout with the read models.
func (h *harness) matchAggregate(evs []events.Event) {
	h.t.Helper()
	ctx := context.Background()
	folded := map[string]*appstate.App{}
	for i, e := range evs {
		agg := e.Aggregate()
		if agg.Kind != events.KindApp {
			continue
		}
		if folded[agg.ID] == nil {
			folded[agg.ID] = appstate.NewApp(agg.ID)
		}
		folded[agg.ID].Apply(events.Recorded{Envelope: events.Envelope{Time: time.Unix(int64(i), 0)}, Event: e, Sequence: uint64(i + 1)})
	}
	for name, app := range folded {
		n := h.count(`SELECT count(*) FROM releases WHERE app = $1`, name)
		if n != len(app.Releases) {
			h.t.Errorf("%s has %d releases, the aggregate %d", name, n, len(app.Releases))
		}
		for v, r := range app.Releases {
			var (
				image, outcome, reason string
				failures               int
			)
			err := h.db.QueryRow(ctx, `SELECT image, outcome, reason, failures FROM releases WHERE app = $1 AND version = $2`, name, v).
				Scan(&image, &outcome, &reason, &failures)
			if err != nil {
				h.t.Fatalf("release %s %d: %v", name, v, err)
			}
			if image != r.Spec.Image || outcome != r.Outcome || reason != r.Reason || failures != r.Failures {
				h.t.Errorf("release %s %d = %s %q %q failures %d; aggregate %s %q %q failures %d", name, v,
					image, outcome, reason, failures, r.Spec.Image, r.Outcome, r.Reason, r.Failures)
			}
		}
		ro := app.Rollout
		if ro == nil {
			if n := h.count(`SELECT count(*) FROM rollouts WHERE app = $1`, name); n != 0 {
				h.t.Errorf("%s has %d rollouts, the aggregate none", name, n)
			}
			continue
		}
		var (
			release, from, step, weight, keepOld int
			status, reason                       string
			ended                                bool
		)
		err := h.db.QueryRow(ctx, `SELECT release, from_release, status, step, weight, keep_old, reason, ended_at IS NOT NULL
			FROM rollouts WHERE app = $1 ORDER BY id DESC LIMIT 1`, name).
			Scan(&release, &from, &status, &step, &weight, &keepOld, &reason, &ended)
		if err != nil {
			h.t.Fatalf("latest rollout of %s: %v", name, err)
		}
		got := fmt.Sprint(release, from, status, step, weight, keepOld, reason, ended)
		want := fmt.Sprint(ro.Release, ro.From, ro.Status, ro.Step, ro.Weight, ro.KeepOld, ro.Reason, !ro.EndedAt.IsZero())
		if got != want {
			h.t.Errorf("latest rollout of %s = %s; aggregate %s", name, got, want)
		}
	}
}

// dumpQuery renders a one-column query's rows joined by spaces.
func (h *harness) dumpQuery(sql string) string {
	h.t.Helper()
	rows, err := h.db.Query(context.Background(), sql)
	if err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	var out string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		if out != "" {
			out += " "
		}
		out += s
	}
	return out
}
