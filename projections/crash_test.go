package projections

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// Projectors are killed at random points, sometimes right after a commit
// and before the ack, and sometimes fail after the commit; restarted each
// time as a fresh process would be. Every event must take effect exactly
// once: the read models end up as the command side folds the same events,
// and equal to a replay without interruptions.
func TestCrashesApplyEveryEventExactlyOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	evs := workload(7, 300)
	var last uint64
	appEvents := 0
	for _, e := range evs {
		last = h.append(e)
		if e.Aggregate().Kind == events.KindApp {
			appEvents++
		}
	}

	h.crashUntil(ctx, last, 2)

	for _, p := range all() {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
	}
	h.assertMatchesReplay(ctx, appEvents, evs, "after crashes")
}

// crashUntil runs projectors, killing them at random points (sometimes
// right after a commit and before the ack, sometimes failing after the
// commit), restarting each time as a fresh process would, until every
// projector is at last.
func (h *harness) crashUntil(ctx context.Context, last, seed uint64) {
	t := h.t
	t.Helper()
	rng := rand.New(rand.NewPCG(1, seed))
	restarts := 0
	deadline := time.Now().Add(2 * time.Minute)
	for !h.allAt(last) {
		if time.Now().After(deadline) {
			t.Fatalf("not caught up after %d restarts", restarts)
		}
		restarts++
		r := h.runner()
		runCtx, crash := context.WithCancel(ctx)
		crashAfter := int64(1 + rng.IntN(150))
		r.crashOnStop = rng.IntN(2) == 0
		r.cfg.BatchSize = 1 + rng.IntN(64) // crashes land inside batches of any size
		var commits atomic.Int64
		r.afterCommit = func(string, uint64) error {
			n := commits.Add(1)
			if n == crashAfter {
				crash() // dies between commit and ack
			}
			if n%20 == 0 {
				return errors.New("simulated failure after commit")
			}
			return nil
		}
		if rng.IntN(3) == 0 {
			// ... or at any point at all.
			time.AfterFunc(time.Duration(rng.IntN(30))*time.Millisecond, crash)
		}
		go stopWhenCaughtUp(runCtx, r, last, crash)
		t0 := time.Now()
		if err := r.Run(runCtx); err != nil {
			t.Fatalf("restart %d: Run: %v", restarts, err)
		}
		crash()
		t.Logf("run %d took %v (crash after %d, hard %v, commits %d)", restarts, time.Since(t0), crashAfter, r.crashOnStop, commits.Load())
		r.Close()
	}
	t.Logf("caught up after %d restarts", restarts)
}

// stopWhenCaughtUp ends a run that got to the end without crashing.
func stopWhenCaughtUp(ctx context.Context, r *Runner, last uint64, stop func()) {
	for ctx.Err() == nil {
		pos, err := positions(ctx, r.db)
		if err == nil && newProgress(pos).allAt(r.names(), last) {
			stop()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) allAt(seq uint64) bool {
	for _, p := range all() {
		n := h.count(`SELECT count(*) FROM projection_checkpoints WHERE projector = $1 AND seq >= $2`, p.name, int64(seq))
		if n == 0 {
			return false
		}
	}
	return true
}

// matchCommandSide folds evs the way commands do and compares apps and
// instances with the read models.
func (h *harness) matchCommandSide(evs []events.Event) {
	h.t.Helper()
	ctx := context.Background()
	folded := map[string]*appstate.App{}
	ever := map[string]bool{}
	for i, e := range evs {
		agg := e.Aggregate()
		if agg.Kind != events.KindApp {
			continue
		}
		if folded[agg.ID] == nil {
			folded[agg.ID] = appstate.NewApp(agg.ID)
		}
		folded[agg.ID].Apply(events.Recorded{Event: e, Sequence: uint64(i + 1)})
		if s, ok := e.(events.InstanceScheduled); ok {
			ever[s.Instance] = true
		}
	}
	for name, app := range folded {
		var (
			replicas int
			status   string
			reasons  []string
		)
		err := h.db.QueryRow(ctx, `SELECT replicas, status, placement_failure_reasons FROM apps WHERE name = $1`, name).
			Scan(&replicas, &status, &reasons)
		if err != nil {
			h.t.Fatalf("app %s: %v", name, err)
		}
		if replicas != app.Spec.Replicas || (status == "stopped") != app.Stopped || len(reasons) != len(app.LastPlacementFailure) {
			h.t.Errorf("app %s = x%d %s %v; command side x%d stopped=%v %v", name, replicas, status, reasons,
				app.Spec.Replicas, app.Stopped, app.LastPlacementFailure)
		}
	}
	rows, err := h.db.Query(ctx, `SELECT id, app, state FROM instances`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id, app, state string
		if err := rows.Scan(&id, &app, &state); err != nil {
			h.t.Fatal(err)
		}
		seen++
		inst, live := folded[app].Instances[id]
		switch {
		case !live && state != "stopped":
			h.t.Errorf("instance %s is %s; the command side has forgotten it (stopped)", id, state)
		case live && inst.State != state:
			h.t.Errorf("instance %s is %s; command side says %s", id, state, inst.State)
		}
	}
	if seen != len(ever) {
		h.t.Errorf("%d instance rows, want one per instance ever scheduled: %d", seen, len(ever))
	}
}
