package projections

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

// Rebuild reproduces the read models row for row, and projection carries
// on live afterwards, even in a server that kept running meanwhile.
func TestRebuildReproducesReadModels(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	for _, e := range workload(3, 120) {
		h.append(e)
	}
	h.append(lostLater())
	if _, err := h.js.Publish(ctx, "berth.events.app.alpha.bogus", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	last := h.append(events.AppStopped{App: "bravo"})

	server := h.runner()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- server.Run(runCtx) }()
	h.waitAll(last)
	before := map[string]string{}
	for _, table := range append(readModels, "projection_checkpoints") {
		before[table] = h.dump(table)
	}

	rebuildCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := h.runner().Rebuild(rebuildCtx); err != nil {
		t.Fatal(err)
	}
	for table, want := range before {
		if got := h.dump(table); got != want {
			t.Errorf("%s differs after rebuild:\n%s\n--- before ---\n%s", table, got, want)
		}
	}
	if n := h.count(`SELECT count(*) FROM projection_skipped WHERE seq = $1`, int64(last-1)); n != len(all()) {
		t.Errorf("bogus event skipped by %d projectors after rebuild, want %d", n, len(all()))
	}

	// The server that ran throughout carries on live.
	next := h.append(events.AppDeployed{App: "bravo", Version: 2, Spec: spec})
	h.waitAll(next)
	if n := h.count(`SELECT count(*) FROM apps WHERE name = 'bravo' AND status = 'running' AND version = 2`); n != 1 {
		t.Error("redeploy after rebuild not projected")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitAll polls until every projector's checkpoint is at seq.
func (h *harness) waitAll(seq uint64) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !h.allAt(seq) {
		if time.Now().After(deadline) {
			h.t.Fatalf("projectors not at %d within 30s", seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A projector whose checkpoint fell behind its consumer (someone reset
// the row by hand, or a database crash lost acked commits) neither skips
// what is in the hole nor waits forever: the checkpoint is the position,
// so it goes back there and applies the hole's events, then the rest.
// Rebuild gives the same read model.
func TestNeverSkipsAnEvent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.append(events.HostRegistered{Host: "h1", Addr: "127.0.0.2", CPUs: 1, MemoryBytes: 1 << 30, PortMin: 1, PortMax: 9})
	h.append(events.HostRegistered{Host: "h2", Addr: "127.0.0.3", CPUs: 1, MemoryBytes: 1 << 30, PortMin: 1, PortMax: 9})
	r := h.runner()
	h.runToEnd(r)
	if _, err := h.db.Exec(ctx, `DELETE FROM hosts WHERE id = 'h2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(ctx, `UPDATE projection_checkpoints SET seq = 1 WHERE projector = $1`, HostsProjector); err != nil {
		t.Fatal(err)
	}
	last := h.append(events.HostLost{Host: "h1"})

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	h.waitAll(last)
	if h.count(`SELECT count(*) FROM hosts`) != 2 || h.count(`SELECT count(*) FROM hosts WHERE state = 'lost'`) != 1 {
		t.Fatalf("after catching up hosts = %s", h.dump("hosts"))
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rebuildCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.Rebuild(rebuildCtx); err != nil {
		t.Fatal(err)
	}
	if h.count(`SELECT count(*) FROM hosts`) != 2 || h.count(`SELECT count(*) FROM hosts WHERE state = 'lost'`) != 1 {
		t.Fatalf("after rebuild hosts = %s", h.dump("hosts"))
	}
}
