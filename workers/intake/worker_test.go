package intake_test

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/intake"
)

// A true claim is appended once however often it is made; claims about
// another host's instance, in another host's name or of a kind agents
// may not report are ignored and counted.
func TestIntakeAppendsTrueClaimsAndCountsForgeries(t *testing.T) {
	store := natstest.Store(t, "test")
	js := store.JetStream()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := hostbus.EnsureStreams(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	for _, s := range []events.InstanceScheduled{
		{App: "web", Instance: "web-1", Host: "h1"},
		{App: "web", Instance: "web-2", Host: "h2"},
	} {
		if _, err := store.Append(ctx, s.Aggregate(), events.ExpectAny, []events.Event{s}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := intake.New(store, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	h1, err := hostbus.Attach(ctx, js, "h1")
	if err != nil {
		t.Fatal(err)
	}
	claims := []struct {
		e   events.Event
		key string
	}{
		{events.InstanceStarted{App: "web", Instance: "web-1", Host: "h1", ContainerID: "c1"}, "started/c1"},
		{events.InstanceStarted{App: "web", Instance: "web-1", Host: "h1", ContainerID: "c1"}, "started/c1"}, // again
		{events.InstanceExited{App: "web", Instance: "web-2", Host: "h1", ExitCode: 1}, "forged-1"},          // h2's instance
		{events.InstanceExited{App: "web", Instance: "web-2", Host: "h2", ExitCode: 1}, "forged-2"},          // in h2's name
		{events.AppStopped{App: "web"}, "forged-3"},                                                          // a command
		{events.HostRegistered{Host: "h2", Addr: "10.0.0.1"}, ""},                                            // another host
		{events.HostRegistered{Host: "h1", Addr: "127.0.0.1"}, ""},
		{events.HostRegistered{Host: "h1", Addr: "127.0.0.1"}, ""}, // unchanged: no second event
	}
	for _, c := range claims {
		if err := h1.Claim(ctx, c.e, c.key); err != nil {
			t.Fatal(err)
		}
	}
	natstest.Eventually(t, 30*time.Second, "forged claims counted", func() bool { return w.Rejected() == 4 })
	natstest.Eventually(t, 30*time.Second, "fact stream drained", func() bool {
		s, err := js.Stream(ctx, hostbus.FactStream)
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs == 0
	})

	app, _, err := store.Load(ctx, events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var started, other int
	for _, r := range app {
		switch e := r.Event.(type) {
		case events.InstanceStarted:
			started++
			if r.Source != "agent/h1" {
				t.Errorf("source = %q, want the credential's host", r.Source)
			}
		case events.InstanceScheduled:
		default:
			other++
			t.Errorf("forged %T appended: %+v", e, e)
		}
	}
	if started != 1 {
		t.Errorf("InstanceStarted appended %d times, want 1", started)
	}
	for host, want := range map[string]int{"h1": 1, "h2": 0} {
		recs, _, err := store.Load(ctx, events.Host(host), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != want {
			t.Errorf("host %s has %d events, want %d", host, len(recs), want)
		}
	}
}
