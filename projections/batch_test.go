package projections

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// Events that are pending when a projector looks are applied many to a
// transaction: the history rows of a 1,000-event backlog come from a
// handful of transactions (one xmin each), not a thousand.
func TestBacklogIsAppliedInBatches(t *testing.T) {
	h := newHarness(t)
	evs := workload(21, 1000)
	var last uint64
	appEvents := 0
	for _, e := range evs {
		last = h.append(e)
		if e.Aggregate().Kind == events.KindApp {
			appEvents++
		}
	}
	r := h.runner()
	h.runToEnd(r)

	for _, p := range all() {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
	}
	if n := h.count(`SELECT count(*) FROM app_events`); n != appEvents {
		t.Fatalf("history has %d rows, want %d", n, appEvents)
	}
	txs := h.count(`SELECT count(DISTINCT xmin::text) FROM app_events`)
	t.Logf("%d history rows written by %d transactions (batch size %d)", appEvents, txs, r.cfg.BatchSize)
	if txs > appEvents/10 {
		t.Errorf("%d history rows took %d transactions: not batched", appEvents, txs)
	}
	h.matchCommandSide(evs)
}

// A poison event in the middle of a batch is recorded as skipped and the
// others of the batch are applied with it, in the same transaction.
func TestPoisonInsideABatchIsSkippedAndTheRestApplied(t *testing.T) {
	h := newHarness(t)
	h.append(events.AppDeployed{App: "x", Version: 1, Spec: spec})
	h.append(events.AppScaled{App: "x", Replicas: 2, Previous: 1})
	nul := h.append(events.AppDeployed{App: "x", Version: 2, Spec: events.Spec{Image: "nginx\x00evil", Replicas: 1}})
	h.append(events.AppScaled{App: "x", Replicas: 3, Previous: 2})
	last := h.append(events.AppScaled{App: "x", Replicas: 5, Previous: 3})

	r := h.runner()
	h.runToEnd(r)

	if at := h.checkpoint(AppsProjector); at != last {
		t.Errorf("apps checkpoint = %d, want %d", at, last)
	}
	if n := h.count(`SELECT count(*) FROM apps WHERE name = 'x' AND version = 1 AND replicas = 5`); n != 1 {
		t.Errorf("app x = %s, want v1 (v2 refused) x5 (applied after the poison)", h.dump("apps"))
	}
	if n := h.count(`SELECT count(*) FROM app_events WHERE app = 'x'`); n != 4 {
		t.Errorf("history of x has %d events, want the 4 that could be stored", n)
	}
	refusers := []string{AppsProjector, HistoryProjector, ReleasesProjector}
	for _, name := range refusers {
		if n := h.count(`SELECT count(*) FROM projection_skipped WHERE projector = $1 AND seq = $2`, name, int64(nul)); n != 1 {
			t.Errorf("%s: no skip record for event %d", name, nul)
		}
	}
	if n := h.count(`SELECT count(*) FROM projection_skipped`); n != len(refusers) {
		t.Errorf("%d skip records, want %d", n, len(refusers))
	}
	// The batch was not split around the poison event.
	if n := h.count(`SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM app_events UNION ALL
		SELECT xmin FROM projection_skipped WHERE projector = $1) t`, HistoryProjector); n != 1 {
		t.Errorf("history batch took %d transactions, want 1", n)
	}
}

// A batch whose acks are lost after its commit comes again and changes
// nothing: not a row is rewritten, and every event counts once.
func TestRedeliveredBatchChangesNothing(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	evs := workload(5, 60)
	var last uint64
	for _, e := range evs {
		last = h.append(e)
	}
	readHistory := func() map[int64]string {
		rows, err := h.db.Query(ctx, `SELECT seq, xmin::text FROM app_events`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		var seq int64
		var xmin string
		for rows.Next() {
			if err := rows.Scan(&seq, &xmin); err != nil {
				t.Fatal(err)
			}
			out[seq] = xmin
		}
		return out
	}

	r := h.runner()
	var (
		mu         sync.Mutex
		seen       = map[uint64]int{} // history's settled events
		firstBatch map[int64]string
	)
	r.afterCommit = func(name string, seq uint64) error {
		if name != HistoryProjector {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		seen[seq]++
		if seq == last && firstBatch == nil {
			// The batch holding the last event is committed: it is handed
			// back as if its acks were lost.
			firstBatch = readHistory()
			return errors.New("acks lost")
		}
		return nil
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		again := seen[last] > 1
		mu.Unlock()
		if again {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the handed-back batch did not come again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(firstBatch) == 0 {
		t.Fatal("the batch wrote no history")
	}
	redelivered := 0
	for seq, n := range seen {
		if n > 1 {
			redelivered++
		}
		if n > 2 {
			t.Errorf("event %d settled %d times", seq, n)
		}
	}
	if redelivered < 2 {
		t.Fatalf("%d events redelivered: the test proved nothing", redelivered)
	}
	after := readHistory()
	for seq, xmin := range firstBatch {
		if after[seq] != xmin {
			t.Errorf("history row %d rewritten by the redelivery (xmin %s → %s)", seq, xmin, after[seq])
		}
	}
	if at := h.checkpoint(HistoryProjector); at != last {
		t.Errorf("history checkpoint = %d, want %d", at, last)
	}
	h.matchCommandSide(evs)
	t.Logf("%d history rows before the redelivery, %d events settled twice", len(firstBatch), redelivered)
}

// Two servers' runners fetch from the same durable consumers while events
// arrive: each batch goes to one of them, both do work, and every event
// takes effect exactly once, as in a replay.
func TestTwoRunnersShareTheConsumers(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	evs := workload(17, 800)
	appEvents := 0
	for _, e := range evs {
		if e.Aggregate().Kind == events.KindApp {
			appEvents++
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		wg      sync.WaitGroup
		settled [2]atomic.Int64
		errs    [2]error
	)
	for i := range 2 {
		r := h.runner()
		r.cfg.BatchSize = 16 // many batches, so both get some
		r.afterCommit = func(string, uint64) error {
			settled[i].Add(1)
			return nil
		}
		wg.Go(func() { errs[i] = r.Run(runCtx) })
	}
	var last uint64
	for i, e := range evs {
		last = h.append(e)
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond) // let both runners catch up now and then
		}
	}
	h.waitAll(last)
	stop()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("runner %d: %v", i, err)
		}
	}
	t.Logf("events settled: runner 0 %d, runner 1 %d", settled[0].Load(), settled[1].Load())
	if settled[0].Load() == 0 || settled[1].Load() == 0 {
		t.Error("one runner did all the work")
	}
	h.assertMatchesReplay(ctx, appEvents, evs, "from two runners")
}

// The push consumers of releases that fed Watermill one event at a time
// are replaced by pull consumers under the same durable name, from the
// checkpoint: nothing is applied twice, nothing is missed.
func TestPushConsumerIsReplacedFromTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.append(events.HostRegistered{Host: "h1", Addr: "127.0.0.2", CPUs: 1, MemoryBytes: 1 << 30, PortMin: 1, PortMax: 9})
	h.append(events.AppDeployed{App: "web", Version: 1, Spec: spec})
	r := h.runner()
	h.runToEnd(r)
	for _, p := range all() {
		if err := h.js.DeleteConsumer(ctx, events.StreamName, p.name); err != nil {
			t.Fatal(err)
		}
		// As the old releases made them, but positioned at the start of
		// the stream: following it would apply everything again.
		_, err := h.js.CreatePushConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
			Durable: p.name, DeliverSubject: "berth.projections.deliver." + p.name, DeliverGroup: p.name,
			AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1, MaxDeliver: -1, FilterSubject: events.AllSubjects,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	last := h.append(events.AppScaled{App: "web", Replicas: 4, Previous: 2})
	h.runToEnd(r)

	for _, p := range all() {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
		c, err := h.js.Consumer(ctx, events.StreamName, p.name)
		if err != nil {
			t.Fatalf("%s is not a pull consumer now: %v", p.name, err)
		}
		if got := c.CachedInfo().Config.OptStartSeq; got != last {
			t.Errorf("%s starts at %d, want %d (after the checkpoint)", p.name, got, last)
		}
	}
	if n := h.count(`SELECT count(*) FROM app_events`); n != 2 {
		t.Errorf("history has %d rows, want 2", n)
	}
	if n := h.count(`SELECT count(*) FROM apps WHERE name = 'web' AND replicas = 4`); n != 1 {
		t.Errorf("apps = %s", h.dump("apps"))
	}
}
