package assign_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/assign"
)

// Two assigners over one log copy every host's events exactly once, in
// log order, and nothing else.
func TestTwoAssignersCopyEachHostEventOnce(t *testing.T) {
	store := natstest.Store(t, "test")
	js := store.JetStream()
	ctx := context.Background()
	if err := hostbus.EnsureStreams(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range 2 {
		w, err := assign.New(store, js, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(ctx) }()
	}

	var want []string // instances of h1, in order
	for i := range 30 {
		host := []string{"h1", "h2"}[i%2]
		id := "web-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		evs := []events.Event{
			events.AppDeployed{App: "web", Spec: events.Spec{Image: "img", Env: map[string]string{"SECRET": "xyz"}}},
			events.InstanceScheduled{App: "web", Instance: id, Host: host, Env: map[string]string{"K": "v"}},
		}
		for _, e := range evs {
			if _, err := store.Append(ctx, e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if host == "h1" {
			want = append(want, id)
		}
	}
	reg := events.HostRegistered{Host: "h1", Addr: "127.0.0.1"}
	if _, err := store.Append(ctx, reg.Aggregate(), events.ExpectAny, []events.Event{reg}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}

	bus, err := hostbus.Attach(ctx, js, "h1")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []events.Event
	go func() {
		_ = bus.Follow(ctx, events.FollowOptions{}, func(r events.Recorded) error {
			mu.Lock()
			got = append(got, r.Event)
			mu.Unlock()
			return nil
		})
	}()
	natstest.Eventually(t, 30*time.Second, "h1's registration copied", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			return false
		}
		last, ok := got[len(got)-1].(events.HostRegistered)
		return ok && last.Host == "h1"
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want)+1 {
		t.Fatalf("h1 got %d assignments, want %d: %v", len(got), len(want)+1, got)
	}
	for i, id := range want {
		s, ok := got[i].(events.InstanceScheduled)
		if !ok || s.Instance != id || s.Host != "h1" {
			t.Fatalf("assignment %d = %+v, want %s on h1", i, got[i], id)
		}
	}
	stream, _ := js.Stream(ctx, hostbus.AssignStream)
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 31 {
		t.Fatalf("assignment stream holds %d messages, want 31 (30 instances + 1 registration, once each)", info.State.Msgs)
	}
}

func TestHostOf(t *testing.T) {
	for _, tc := range []struct {
		e    events.Event
		host string
	}{
		{events.InstanceScheduled{Host: "h1"}, "h1"},
		{events.InstanceUnscheduled{Host: "h2"}, "h2"},
		{events.InstanceStarted{Host: "h3"}, "h3"},
		{events.InstanceExited{Host: "h3"}, "h3"},
		{events.InstanceStopped{Host: "h3"}, "h3"},
		{events.HostLost{Host: "h4"}, "h4"},
		{events.AppDeployed{App: "web"}, ""},
		{events.EndpointRegistered{Host: "h1"}, ""},
	} {
		if got, _ := assign.HostOf(tc.e); got != tc.host {
			t.Errorf("HostOf(%T) = %q, want %q", tc.e, got, tc.host)
		}
	}
}
