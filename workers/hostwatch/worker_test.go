package hostwatch_test

import (
	"context"
	"encoding/json"
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
func beat(t *testing.T, js jetstream.JetStream, host string) {
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
			if _, err := kv.Put(ctx, host, body); err != nil && ctx.Err() == nil {
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
	w, err := hostwatch.New(hostwatch.Config{Timeout: time.Second, Check: 50 * time.Millisecond}, st, js)
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
	reg := func() {
		if _, err := st.Append(context.Background(), events.Host("h1"), events.ExpectAny,
			[]events.Event{events.HostRegistered{Host: "h1", Addr: "127.0.0.2"}}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	reg()
	watcher(t, st, js)
	eventually(t, "h1 lost", func() bool { _, lost := hostEvents(t, st, "h1"); return lost == 1 })

	reg()
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
