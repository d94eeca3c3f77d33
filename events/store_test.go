package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

func openStore(t *testing.T) *events.Store { return natstest.Store(t, "test") }

func TestAppendLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	web := events.App("web")
	ap, err := st.Append(ctx, web, 0, []events.Event{
		events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "nginx", Replicas: 2, Port: 80}},
	}, events.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, events.App("api"), 0, []events.Event{events.AppStopped{App: "api"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, web, ap.Seq, []events.Event{events.AppScaled{App: "web", Replicas: 5, Previous: 2}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, last, err := st.Load(ctx, web, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || last != 3 {
		t.Fatalf("got %d events, last %d; want 2 events of web, last 3", len(recs), last)
	}
	dep, ok := recs[0].Event.(events.AppDeployed)
	if !ok || dep.Image != "nginx" || dep.Replicas != 2 {
		t.Fatalf("first event = %#v", recs[0].Event)
	}
	if recs[0].Type != "dev.berth.app.deployed" || recs[0].SpecVersion != "1.0" || recs[0].Source != "test" || recs[0].Subject != "web" {
		t.Fatalf("envelope = %+v", recs[0].Envelope)
	}
	if sc := recs[1].Event.(events.AppScaled); sc.Replicas != 5 {
		t.Fatalf("second event = %#v", sc)
	}
	// Incremental load returns only what follows.
	recs, _, err = st.Load(ctx, web, recs[0].Sequence)
	if err != nil || len(recs) != 1 {
		t.Fatalf("incremental load: %d events, %v", len(recs), err)
	}
	recs, last, err = st.Load(ctx, events.App("nope"), 0)
	if err != nil || len(recs) != 0 || last != 0 {
		t.Fatalf("unknown aggregate: %d, %d, %v", len(recs), last, err)
	}
}

func TestAppendConflict(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	web := events.App("web")
	stop := []events.Event{events.AppStopped{App: "web"}}
	if _, err := st.Append(ctx, web, 0, stop, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second writer that also believed the app was new loses.
	_, err := st.Append(ctx, web, 0, stop, events.AppendOptions{})
	if !errors.Is(err, events.ErrConflict) {
		t.Fatalf("second writer from the same state: err = %v, want ErrConflict", err)
	}
	// Another app's events don't conflict with web's.
	if _, err := st.Append(ctx, events.App("web2"), 0, []events.Event{events.AppStopped{App: "web2"}}, events.AppendOptions{}); err != nil {
		t.Fatalf("other app: %v", err)
	}
	// Racing writers from one state: exactly one wins.
	_, last, _ := st.Load(ctx, web, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Append(ctx, web, last, []events.Event{events.AppScaled{App: "web", Replicas: i}}, events.AppendOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, events.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("wins=%d conflicts=%d, want 1 and 7", wins, conflicts)
	}
}

func TestAppendBatchIsAtomic(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	web := events.App("web")
	batch := func(n int) []events.Event {
		var evs []events.Event
		for i := 0; i < n; i++ {
			evs = append(evs, events.InstanceScheduled{App: "web", Instance: fmt.Sprintf("web-00000%d", i), Host: "h1"})
		}
		return evs
	}
	ap, err := st.Append(ctx, web, 0, batch(3), events.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, web, 0, batch(3), events.AppendOptions{}); !errors.Is(err, events.ErrConflict) {
		t.Fatalf("stale batch: err = %v, want ErrConflict", err)
	}
	recs, last, err := st.Load(ctx, web, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || last != ap.Seq {
		t.Fatalf("stored %d events (last %d), want exactly the first batch of 3 (last %d)", len(recs), last, ap.Seq)
	}
}

func TestAppendIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	web := events.App("web")
	ev := []events.Event{events.AppStopped{App: "web"}}
	first, err := st.Append(ctx, web, events.ExpectAny, ev, events.AppendOptions{IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.Append(ctx, web, events.ExpectAny, ev, events.AppendOptions{IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Seq != first.Seq {
		t.Fatalf("retry = %+v, want duplicate of seq %d", again, first.Seq)
	}
	recs, _, _ := st.Load(ctx, web, 0)
	if len(recs) != 1 || recs[0].IdempotencyKey != "k1" {
		t.Fatalf("stored %d events, want 1 carrying the key", len(recs))
	}
}

func TestFollowReplaysThenGoesLive(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openStore(t)
	for _, app := range []string{"a", "b"} {
		if _, err := st.Append(ctx, events.App(app), 0, []events.Event{events.AppStopped{App: app}}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan events.Recorded, 10)
	caughtUp := make(chan struct{})
	go func() {
		_ = st.Follow(ctx, events.AllSubjects, events.FollowOptions{OnCaughtUp: func() { close(caughtUp) }},
			func(r events.Recorded) error { got <- r; return nil })
	}()
	for i := 0; i < 2; i++ {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("replay did not deliver the stored events")
		}
	}
	select {
	case <-caughtUp:
	case <-time.After(5 * time.Second):
		t.Fatal("OnCaughtUp not called after replay")
	}
	if _, err := st.Append(ctx, events.Host("h1"), 0, []events.Event{events.HostLost{Host: "h1"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if _, ok := r.Event.(events.HostLost); !ok {
			t.Fatalf("live event = %#v", r.Event)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("live event not delivered")
	}
}
