package hostwatch_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/hostwatch"
)

func setup(t *testing.T) (*events.Store, jetstream.JetStream) {
	t.Helper()
	st := natstest.StoreOn(t, natstest.Connect(t, natstest.Start(t)), "test")
	js := st.JetStream()
	if err := events.EnsureBuckets(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	return st, js
}

// beat writes host's heartbeat every 100ms, as an agent would, until the
// test ends.
func beat(t *testing.T, js jetstream.JetStream, host string) { beatOn(t, js, host, false) }

// beatOn is beat; tolerant: failed writes (a leader election) are skipped,
// as an agent does.
func beatOn(t *testing.T, js jetstream.JetStream, host string, tolerant bool) {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), events.BucketHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			body, _ := json.Marshal(events.Heartbeat{Host: host, Addr: "127.0.0.2", Time: time.Now()})
			pctx, cancel := context.WithTimeout(ctx, time.Second) // as the agent bounds its puts
			_, err := kv.Put(pctx, host, body)
			cancel()
			if err != nil && ctx.Err() == nil && !tolerant {
				t.Errorf("heartbeat: %v", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func watcher(t *testing.T, st *events.Store, js jetstream.JetStream) {
	t.Helper()
	watcherWith(t, st, js, hostwatch.Config{Timeout: time.Second, Check: 50 * time.Millisecond})
}

func watcherWith(t *testing.T, st *events.Store, js jetstream.JetStream, cfg hostwatch.Config) {
	t.Helper()
	w, err := hostwatch.New(cfg, st, js)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
}

func register(t *testing.T, st *events.Store, host string) {
	t.Helper()
	if _, err := st.Append(context.Background(), events.Host(host), events.ExpectAny,
		[]events.Event{events.HostRegistered{Host: host, Addr: "127.0.0.2"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func hostEvents(t *testing.T, st *events.Store, host string) (registered, lost int) {
	t.Helper()
	recs, _, err := st.Load(context.Background(), events.Host(host), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		switch r.Event.(type) {
		case events.HostRegistered:
			registered++
		case events.HostLost:
			lost++
		}
	}
	return registered, lost
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 15*time.Second, what, cond)
}

// Two watchers, two hosts: the one whose heartbeats stop is lost exactly
// once; the one that keeps beating is not lost.
func TestSilentHostLostOnceBeatingHostNot(t *testing.T) {
	st, js := setup(t)
	for _, h := range []string{"h1", "h2"} {
		if _, err := st.Append(context.Background(), events.Host(h), events.ExpectAny,
			[]events.Event{events.HostRegistered{Host: h, Addr: "127.0.0.2", CPUs: 2, MemoryBytes: 1 << 30}}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	beat(t, js, "h1")
	watcher(t, st, js)
	watcher(t, st, js)

	eventually(t, "h2 lost", func() bool { _, lost := hostEvents(t, st, "h2"); return lost > 0 })
	// Hosts are checked in name order, so h1 would have been declared
	// lost no later than h2 had its heartbeats not counted.
	if _, lost := hostEvents(t, st, "h2"); lost != 1 {
		t.Errorf("h2 lost %d times, want once", lost)
	}
	if _, lost := hostEvents(t, st, "h1"); lost != 0 {
		t.Errorf("h1 lost %d times while beating", lost)
	}
}

// A lost host that registers again and beats is not lost again; once it
// falls silent again it is.
func TestHostBackAfterLost(t *testing.T) {
	st, js := setup(t)
	register(t, st, "h0") // beats throughout: h1 alone silent is no mass silence
	beat(t, js, "h0")
	register(t, st, "h1")
	watcher(t, st, js)
	eventually(t, "h1 lost", func() bool { _, lost := hostEvents(t, st, "h1"); return lost == 1 })

	register(t, st, "h1")
	beat(t, js, "h1")
	// A sentinel host that never beats, registered after h1 came back: by
	// the time it is lost, h1 would have been too (it is checked first)
	// had its heartbeats not counted.
	if _, err := st.Append(context.Background(), events.Host("h9"), events.ExpectAny,
		[]events.Event{events.HostRegistered{Host: "h9", Addr: "127.0.0.3"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sentinel lost", func() bool { _, lost := hostEvents(t, st, "h9"); return lost == 1 })
	if _, lost := hostEvents(t, st, "h1"); lost != 1 {
		t.Errorf("h1 lost %d times after coming back and beating, want the one before", lost)
	}
}

// Lost carries its evidence: the last heartbeat as the bucket's leader has
// it, the bus's time of the decision and the window the judge watched.
func TestHostLostCarriesEvidence(t *testing.T) {
	st, js := setup(t)
	register(t, st, "h0")
	beat(t, js, "h0")
	register(t, st, "h1")
	kv, err := js.KeyValue(context.Background(), events.BucketHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Put(context.Background(), "h1", []byte(`{"host":"h1"}`))
	if err != nil {
		t.Fatal(err)
	}
	watcher(t, st, js)
	eventually(t, "h1 lost", func() bool { _, lost := hostEvents(t, st, "h1"); return lost == 1 })
	recs, _, err := st.Load(context.Background(), events.Host("h1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	lost := recs[len(recs)-1].Event.(events.HostLost)
	if lost.HeartbeatRevision != rev || lost.LastSeen.IsZero() || lost.Judged.Sub(lost.LastSeen) <= time.Second ||
		!lost.ObservedSince.Before(lost.Judged) || lost.Silent != 1 || lost.Hosts != 2 {
		t.Fatalf("evidence %+v (heartbeat revision %d)", lost, rev)
	}
}

// Every host silent at once: none is declared lost, each gets one
// HostLossHeld saying why, and once they beat again and one falls silent
// alone, that one is lost.
func TestMassSilenceHoldsLoss(t *testing.T) {
	st, js := setup(t)
	for _, h := range []string{"h1", "h2", "h3"} {
		register(t, st, h)
	}
	watcher(t, st, js)
	watcher(t, st, js)
	held := func(host string) (n int, reason string) {
		recs, _, err := st.Load(context.Background(), events.Host(host), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if e, ok := r.Event.(events.HostLossHeld); ok {
				n, reason = n+1, e.Reason
			}
		}
		return n, reason
	}
	eventually(t, "every silent host held", func() bool {
		for _, h := range []string{"h1", "h2", "h3"} {
			if n, _ := held(h); n == 0 {
				return false
			}
		}
		return true
	})
	for _, h := range []string{"h1", "h2", "h3"} {
		if n, reason := held(h); n != 1 || !strings.Contains(reason, "3 of 3 hosts silent") {
			t.Errorf("%s held %d times (%q), want once saying 3 of 3 are silent", h, n, reason)
		}
		if _, lost := hostEvents(t, st, h); lost != 0 {
			t.Errorf("%s declared lost in a mass silence", h)
		}
	}

	beat(t, js, "h1")
	beat(t, js, "h2")
	eventually(t, "h3 lost once the others beat", func() bool { _, lost := hostEvents(t, st, "h3"); return lost == 1 })
	for _, h := range []string{"h1", "h2"} {
		if _, lost := hostEvents(t, st, h); lost != 0 {
			t.Errorf("%s lost while beating", h)
		}
	}
}
