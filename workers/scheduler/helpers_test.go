package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// env is one NATS server with the event store, an API-side command
// handler and the port-claims bucket.
type env struct {
	t     testing.TB
	ctx   context.Context
	js    jetstream.JetStream
	store *events.Store
	api   *commands.Handler
	kv    jetstream.KeyValue
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := natstest.Start(t)
	store := natstest.StoreOn(t, natstest.Connect(t, srv), "test")
	js := store.JetStream()
	kv, err := OpenClaims(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, js: js, store: store, api: commands.NewHandler(store, "test/api"), kv: kv}
}

// testLogger keeps the scheduler quiet unless the test fails.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// start runs a scheduler with its own command handler until the test ends.
func (e *env) start(cfg Config) *Scheduler {
	e.t.Helper()
	if cfg.Resync == 0 {
		cfg.Resync = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(e.t)
	}
	s, err := New(cfg, e.store, commands.NewHandler(e.store, Source), e.js)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("scheduler run: %v", err)
		}
	})
	return s
}

// host registers a host with room for plenty of instances.
func (e *env) host(id, zone string, labels map[string]string) {
	e.t.Helper()
	n := len(id) // distinct loopback address per host name in these tests
	ev := events.HostRegistered{Host: id, Addr: fmt.Sprintf("127.0.0.%d", 10+int(id[n-1]-'0')), Zone: zone, Labels: labels,
		CPUs: 8, MemoryBytes: 16 << 30, PortMin: 20000, PortMax: 20099}
	if _, err := e.store.Append(e.ctx, events.Host(id), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// threeHosts registers h1 and h2 in zone a and h3 in zone b.
func (e *env) threeHosts() {
	e.host("h1", "a", nil)
	e.host("h2", "a", nil)
	e.host("h3", "b", nil)
}

func (e *env) exec(app string, decide commands.Decider) {
	e.t.Helper()
	if _, err := e.api.Execute(e.ctx, app, "", decide); err != nil {
		e.t.Fatalf("command on %s: %v", app, err)
	}
}

func (e *env) deploy(app, image string, replicas int) {
	e.t.Helper()
	e.exec(app, commands.Deploy{App: app, Image: image, Replicas: &replicas, Memory: "64m"}.Decide)
}

func (e *env) record(app string, evs ...events.Event) {
	e.t.Helper()
	if _, err := e.api.Record(e.ctx, app, evs...); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) state(app string) *appstate.App {
	e.t.Helper()
	a, err := e.api.State(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// history returns the app's events of type T.
func history[T events.Event](e *env, app string) []T {
	e.t.Helper()
	recs, _, err := e.store.Load(e.ctx, events.App(app), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []T
	for _, r := range recs {
		if ev, ok := r.Event.(T); ok {
			out = append(out, ev)
		}
	}
	return out
}

// live returns the app's instances that count, in ID order.
func (e *env) live(app string) []appstate.Instance {
	var out []appstate.Instance
	for _, in := range e.state(app).Instances {
		if in.Live() {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// claims returns the port claims in the bucket, key -> instance.
func (e *env) claims() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	lister, err := e.kv.ListKeys(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for key := range lister.Keys() {
		entry, err := e.kv.Get(e.ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out[key] = string(entry.Value())
	}
	return out
}

// waitFor polls cond until it holds or 20s pass; cond says what it saw.
func (e *env) waitFor(what string, cond func() (bool, string)) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s; last saw: %s", what, saw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLive waits until the app has n live instances in the given state
// (any live state if state is "").
func (e *env) waitLive(app string, n int, state string) []appstate.Instance {
	e.t.Helper()
	var got []appstate.Instance
	e.waitFor(fmt.Sprintf("%d %s instances of %s", n, state, app), func() (bool, string) {
		got = e.live(app)
		ok := len(got) == n
		for _, in := range got {
			ok = ok && (state == "" || in.State == state)
		}
		return ok, fmt.Sprintf("%+v", got)
	})
	return got
}

// waitResyncs waits until every scheduler finished n more full resyncs:
// whatever they were going to decide on the current state, they have.
func (e *env) waitResyncs(n uint64, ss ...*Scheduler) {
	e.t.Helper()
	targets := make([]uint64, len(ss))
	for i, s := range ss {
		targets[i] = s.resyncs.Load() + n
	}
	e.waitFor("resyncs", func() (bool, string) {
		for i, s := range ss {
			if s.resyncs.Load() < targets[i] {
				return false, fmt.Sprintf("scheduler %d at %d, want %d", i, s.resyncs.Load(), targets[i])
			}
		}
		return true, ""
	})
}

// agents simulates the hosts' agents from the event stream: a scheduled
// instance is started (and registered healthy if healthy says so), an
// unscheduled one stopped, except on hosts that are down.
type agents struct {
	e       *env
	healthy func(events.InstanceScheduled) bool

	mu   sync.Mutex
	down map[string]bool
}

func (e *env) agents(healthy func(events.InstanceScheduled) bool) *agents {
	a := &agents{e: e, healthy: healthy, down: map[string]bool{}}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.store.Follow(ctx, events.AllSubjects, events.FollowOptions{}, a.act)
	}()
	e.t.Cleanup(func() { cancel(); <-done })
	return a
}

func (a *agents) hostDown(h string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down[h] = true
}

func (a *agents) act(r events.Recorded) error {
	var evs []events.Event
	a.mu.Lock()
	switch e := r.Event.(type) {
	case events.InstanceScheduled:
		if !a.down[e.Host] {
			evs = append(evs, events.InstanceStarted{App: e.App, Instance: e.Instance, Host: e.Host, ContainerID: "c-" + e.Instance})
			if a.healthy(e) {
				evs = append(evs, events.EndpointRegistered{App: e.App, Instance: e.Instance, Host: e.Host,
					Addr: fmt.Sprintf("%s:%d", e.HostAddr, e.HostPort)})
			}
		}
	case events.InstanceUnscheduled:
		if !a.down[e.Host] {
			evs = append(evs, events.InstanceStopped{App: e.App, Instance: e.Instance, Host: e.Host})
		}
	}
	a.mu.Unlock()
	if len(evs) == 0 {
		return nil
	}
	app := r.Event.Aggregate().ID
	_, err := a.e.api.Record(a.e.ctx, app, evs...)
	if err != nil && a.e.ctx.Err() == nil {
		a.e.t.Errorf("agent record: %v", err)
	}
	return nil
}

func always(events.InstanceScheduled) bool { return true }

// checkPorts fails the test if two instances holding ports (of any of
// apps) share a host:port, or a port is outside the hosts' range.
func (e *env) checkPorts(apps ...string) {
	e.t.Helper()
	seen := map[string]string{}
	for _, app := range apps {
		for id, in := range e.state(app).Instances {
			key := ClaimKey(in.Host, in.HostPort)
			if other, dup := seen[key]; dup {
				e.t.Errorf("%s and %s both on %s", other, id, key)
			}
			seen[key] = id
			if in.HostPort < 20000 || in.HostPort > 20099 {
				e.t.Errorf("%s on port %d outside 20000-20099", id, in.HostPort)
			}
		}
	}
}
