package projections

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/events"
)

// Events a projector can never apply are recorded as skipped and passed
// over, in the same transaction as the checkpoint; the ones after them
// are applied.
func TestPoisonEventsAreSkippedNotWedged(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.append(events.AppDeployed{App: "x", Version: 1, Spec: spec})
	// Not a CloudEvent at all, on an app subject.
	ack, err := h.js.Publish(ctx, "berth.events.app.x.bogus", []byte(`{"garbage`))
	if err != nil {
		t.Fatal(err)
	}
	garbage := ack.Sequence
	// A well-formed envelope of a type nobody registered.
	env, _ := json.Marshal(events.Envelope{SpecVersion: "1.0", ID: "1", Source: "elsewhere", Type: "dev.berth.app.exploded",
		Time: time.Now(), DataContentType: "application/json", Data: json.RawMessage(`{"app":"x"}`)})
	if ack, err = h.js.Publish(ctx, "berth.events.app.x.exploded", env); err != nil {
		t.Fatal(err)
	}
	unknown := ack.Sequence
	// Decodes fine, but Postgres refuses a NUL in text and jsonb: the apps,
	// history and releases projectors fail on it however often they retry.
	nul := h.append(events.AppDeployed{App: "x", Version: 2, Spec: events.Spec{Image: "nginx\x00evil", Replicas: 1}})
	last := h.append(events.AppScaled{App: "x", Replicas: 4, Previous: 2})

	r := h.runner()
	// A projector that panics on one event: Recoverer turns the panic into
	// an error and the PoisonQueue skips the event.
	r.projectors = append(r.projectors, projector{name: "proj-test-panics", fold: func(rec events.Recorded) ([]statement, error) {
		if _, ok := rec.Event.(events.AppScaled); ok {
			panic("boom")
		}
		return nil, nil
	}})
	h.runToEnd(r)

	for _, p := range r.projectors {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
	}
	var replicas, version int
	if err := h.db.QueryRow(ctx, `SELECT replicas, version FROM apps WHERE name = 'x'`).Scan(&replicas, &version); err != nil {
		t.Fatal(err)
	}
	if replicas != 4 || version != 1 {
		t.Errorf("app x = v%d x%d, want v1 (v2 refused) x4 (applied after the poison)", version, replicas)
	}
	if n := h.count(`SELECT count(*) FROM app_events WHERE app = 'x'`); n != 2 {
		t.Errorf("history of x has %d events, want the 2 that could be stored", n)
	}

	type skip struct {
		Projector string
		Seq       int64
	}
	rows, _ := h.db.Query(ctx, `SELECT projector, seq FROM projection_skipped`)
	skips, err := pgx.CollectRows(rows, pgx.RowToStructByPos[skip])
	if err != nil {
		t.Fatal(err)
	}
	got := map[skip]bool{}
	for _, s := range skips {
		got[s] = true
	}
	want := []skip{{AppsProjector, int64(nul)}, {HistoryProjector, int64(nul)}, {ReleasesProjector, int64(nul)}, {"proj-test-panics", int64(last)}}
	for _, p := range r.projectors {
		want = append(want, skip{p.name, int64(garbage)}, skip{p.name, int64(unknown)})
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no skip record for %s at %d", w.Projector, w.Seq)
		}
	}
	if len(skips) != len(want) {
		t.Errorf("%d skip records, want %d: %v", len(skips), len(want), skips)
	}
	var reason string
	_ = h.db.QueryRow(ctx, `SELECT reason FROM projection_skipped WHERE projector = $1 AND seq = $2`, AppsProjector, int64(garbage)).Scan(&reason)
	if reason == "" {
		t.Error("skip record has no reason")
	}
}

// A failure that may pass (here: a missing table) is retried until it
// does; the event is never skipped.
func TestTransientFailuresAreRetriedNotSkipped(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	if _, err := h.db.Exec(ctx, `ALTER TABLE hosts RENAME TO hosts_away`); err != nil {
		t.Fatal(err)
	}
	last := h.append(events.HostRegistered{Host: "h1", Addr: "127.0.0.2", CPUs: 2, MemoryBytes: 1 << 30, PortMin: 1, PortMax: 2})
	r := h.runner()
	done := make(chan error, 1)
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	go func() { done <- r.RunToEnd(runCtx) }()

	// The other projectors get there; hosts keeps failing.
	deadline := time.Now().Add(30 * time.Second)
	for h.count(`SELECT count(*) FROM projection_checkpoints WHERE seq = $1`, int64(last)) < len(all())-1 {
		if time.Now().After(deadline) {
			t.Fatal("other projectors did not catch up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Give it a few retries' time to do the wrong thing.
	for range 3 {
		time.Sleep(200 * time.Millisecond)
		if n := h.count(`SELECT count(*) FROM projection_checkpoints WHERE projector = $1 AND seq = $2`, HostsProjector, int64(last)); n != 0 {
			t.Fatal("hosts projector moved past an event it could not apply")
		}
	}
	if _, err := h.db.Exec(ctx, `ALTER TABLE hosts_away RENAME TO hosts`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("RunToEnd: %v", err)
	}
	if n := h.count(`SELECT count(*) FROM hosts WHERE id = 'h1'`); n != 1 {
		t.Fatal("host not projected after the table came back")
	}
	if n := h.count(`SELECT count(*) FROM projection_skipped`); n != 0 {
		t.Fatalf("%d events skipped", n)
	}
}
