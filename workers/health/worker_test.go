package health_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/health"
	"github.com/berth-dev/berth/workers/registration"
)

type cluster struct {
	store *events.Store
	js    jetstream.JetStream
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	st := natstest.StoreOn(t, natstest.Connect(t, natstest.Start(t)), "test")
	js := st.JetStream()
	return &cluster{store: st, js: js}
}

// backend stands in for an instance: it answers its health path with the
// status it is set to.
type backend struct {
	status atomic.Int32
	hits   atomic.Int32
	addr   string
	port   int
}

func newBackend(t *testing.T, status int) *backend {
	t.Helper()
	b := &backend{}
	b.status.Store(int32(status))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		if r.URL.Path != "/_ping" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(int(b.status.Load()))
	}))
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	b.addr = host
	b.port, _ = strconv.Atoi(port)
	return b
}

func (c *cluster) append(t *testing.T, evs ...events.Event) {
	t.Helper()
	for _, e := range evs {
		if _, err := c.store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// startInstance deploys app with a fast health check and starts one
// instance of it on b.
func (c *cluster) startInstance(t *testing.T, app, instance string, b *backend) {
	t.Helper()
	c.append(t,
		events.AppDeployed{App: app, Version: 1, Spec: events.Spec{Image: "testapp", Replicas: 1, Port: 8080,
			HealthPath: "/_ping", HealthIntervalMS: 100, HealthTimeoutMS: 500, HealthThreshold: 3}},
		events.InstanceScheduled{App: app, Instance: instance, Version: 1, Host: "h1", HostAddr: b.addr, HostPort: b.port, ContainerPort: 8080},
		events.InstanceStarted{App: app, Instance: instance, Host: "h1", ContainerID: "c-" + instance},
	)
}

func (c *cluster) events(t *testing.T, app string) []events.Event {
	t.Helper()
	recs, _, err := c.store.Load(context.Background(), events.App(app), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for _, r := range recs {
		out = append(out, r.Event)
	}
	return out
}

func count[E events.Event](evs []events.Event) (n int, last E) {
	for _, e := range evs {
		if x, ok := e.(E); ok {
			n++
			last = x
		}
	}
	return n, last
}

// run starts a worker until the test ends, failing the test if it stops
// with an error.
func run(t *testing.T, r interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
}

func (c *cluster) healthWorker(t *testing.T, cfg health.Config) {
	t.Helper()
	w, err := health.New(cfg, c.store, commands.NewHandler(c.store, health.Source))
	if err != nil {
		t.Fatal(err)
	}
	run(t, w)
}

func (c *cluster) registrationWorker(t *testing.T) {
	t.Helper()
	w, err := registration.New(registration.Config{}, c.store, commands.NewHandler(c.store, registration.Source), c.js)
	if err != nil {
		t.Fatal(err)
	}
	run(t, w)
}

func (c *cluster) endpointKey(t *testing.T, key string) (present bool) {
	t.Helper()
	kv, err := c.js.KeyValue(context.Background(), events.BucketEndpoints)
	if err != nil {
		return false
	}
	_, err = kv.Get(context.Background(), key)
	return err == nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 15*time.Second, what, cond)
}

// Two health workers probe the same instance: it is registered once when
// it answers, failed once after three failed checks, and the gateway's
// endpoint key follows.
func TestTwoWorkersRegisterAndFailOnce(t *testing.T) {
	c := newCluster(t)
	b := newBackend(t, http.StatusOK)
	c.registrationWorker(t)
	c.healthWorker(t, health.Config{})
	c.healthWorker(t, health.Config{})
	c.startInstance(t, "web", "web-3f2a1c", b)

	eventually(t, "endpoint registered and in the bucket", func() bool {
		n, _ := count[events.EndpointRegistered](c.events(t, "web"))
		return n > 0 && c.endpointKey(t, "web.web-3f2a1c")
	})
	_, reg := count[events.EndpointRegistered](c.events(t, "web"))
	if want := net.JoinHostPort(b.addr, strconv.Itoa(b.port)); reg.Addr != want || reg.Host != "h1" {
		t.Fatalf("registered %+v, want addr %s on h1", reg, want)
	}

	b.status.Store(http.StatusNotFound)
	eventually(t, "instance health failed and endpoint removed", func() bool {
		n, _ := count[events.InstanceHealthFailed](c.events(t, "web"))
		return n > 0 && !c.endpointKey(t, "web.web-3f2a1c")
	})
	eventually(t, "endpoint deregistered", func() bool {
		n, _ := count[events.EndpointDeregistered](c.events(t, "web"))
		return n > 0
	})
	evs := c.events(t, "web")
	if n, _ := count[events.EndpointRegistered](evs); n != 1 {
		t.Errorf("%d EndpointRegistered, want 1", n)
	}
	n, failed := count[events.InstanceHealthFailed](evs)
	if n != 1 {
		t.Errorf("%d InstanceHealthFailed, want 1", n)
	}
	if failed.Reason != "3 consecutive failed checks: GET /_ping: 404" || failed.Source != "health-worker" {
		t.Errorf("health failed %+v", failed)
	}
	if n, d := count[events.EndpointDeregistered](evs); n != 1 || d.Reason != "health check failed" {
		t.Errorf("%d EndpointDeregistered (last %+v), want 1 for the failed check", n, d)
	}
}

// An instance that never answers its health check is failed once the
// start deadline passes, without ever taking traffic.
func TestNeverHealthyFailsAtStartDeadline(t *testing.T) {
	c := newCluster(t)
	b := newBackend(t, http.StatusServiceUnavailable)
	c.healthWorker(t, health.Config{StartDeadline: 500 * time.Millisecond})
	c.startInstance(t, "api", "api-00beef", b)

	eventually(t, "instance health failed", func() bool {
		n, _ := count[events.InstanceHealthFailed](c.events(t, "api"))
		return n > 0
	})
	evs := c.events(t, "api")
	_, failed := count[events.InstanceHealthFailed](evs)
	if failed.Reason != "never passed a health check within 500ms: GET /_ping: 503" {
		t.Errorf("reason %q", failed.Reason)
	}
	if n, _ := count[events.EndpointRegistered](evs); n != 0 {
		t.Errorf("%d EndpointRegistered for an instance that never passed", n)
	}
}

// An instance slow to come up is not failed for its early failed checks:
// it is registered once it answers.
func TestSlowStartIsRegisteredNotFailed(t *testing.T) {
	c := newCluster(t)
	b := newBackend(t, http.StatusServiceUnavailable)
	c.healthWorker(t, health.Config{StartDeadline: time.Minute})
	c.startInstance(t, "slow", "slow-0a0b0c", b)

	// Well past threshold x interval: the early failures must not count.
	eventually(t, "a few failed probes", func() bool { return b.hits.Load() >= 6 })
	b.status.Store(http.StatusFound) // a 3xx answer passes too
	eventually(t, "endpoint registered", func() bool {
		n, _ := count[events.EndpointRegistered](c.events(t, "slow"))
		return n == 1
	})
	if n, _ := count[events.InstanceHealthFailed](c.events(t, "slow")); n != 0 {
		t.Errorf("%d InstanceHealthFailed for a slow starter", n)
	}
}
