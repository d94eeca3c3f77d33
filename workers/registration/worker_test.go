package registration_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
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

func (c *cluster) append(t *testing.T, evs ...events.Event) {
	t.Helper()
	for _, e := range evs {
		if _, err := c.store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// registered appends what the scheduler, agent and health worker would
// for a healthy endpoint of app on host at 127.0.0.2:port.
func (c *cluster) registered(t *testing.T, app, instance, host string, port int) {
	t.Helper()
	c.append(t,
		events.InstanceScheduled{App: app, Instance: instance, Version: 1, Host: host, HostAddr: "127.0.0.2", HostPort: port},
		events.InstanceStarted{App: app, Instance: instance, Host: host},
		events.EndpointRegistered{App: app, Instance: instance, Host: host, Addr: "127.0.0.2:" + strconv.Itoa(port)},
	)
}

func deployed(app string) events.AppDeployed {
	return events.AppDeployed{App: app, Version: 1, Spec: events.Spec{Image: "testapp", Replicas: 1, Port: 8080}}
}

func (c *cluster) worker(t *testing.T) {
	t.Helper()
	w, err := registration.New(registration.Config{}, c.store, commands.NewHandler(c.store, registration.Source), c.js)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
}

func (c *cluster) bucket(t *testing.T, name string) jetstream.KeyValue {
	t.Helper()
	if err := events.EnsureBuckets(context.Background(), c.js, 1); err != nil {
		t.Fatal(err)
	}
	kv, err := c.js.KeyValue(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// get decodes key's value into v; false if the key is absent.
func get(t *testing.T, kv jetstream.KeyValue, key string, v any) bool {
	t.Helper()
	e, err := kv.Get(context.Background(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return true
}

func (c *cluster) recorded(t *testing.T, app string) []events.Recorded {
	t.Helper()
	recs, _, err := c.store.Load(context.Background(), events.App(app), 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func deregistrations(recs []events.Recorded) []events.EndpointDeregistered {
	var out []events.EndpointDeregistered
	for _, r := range recs {
		if e, ok := r.Event.(events.EndpointDeregistered); ok {
			out = append(out, e)
		}
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 15*time.Second, what, cond)
}

// With two workers running: a registered endpoint and the app's route
// appear in the buckets, route changes follow, an exited instance's key
// goes and its deregistration is stored once, and a stopped app keeps its
// route.
func TestEndpointAndRouteLifecycle(t *testing.T) {
	c := newCluster(t)
	endpoints, routes := c.bucket(t, events.BucketEndpoints), c.bucket(t, events.BucketRoutes)
	c.worker(t)
	c.worker(t)
	c.append(t, deployed("web"))
	c.registered(t, "web", "web-3f2a1c", "h1", 20001)

	var ep registration.Endpoint
	eventually(t, "endpoint in the bucket", func() bool { return get(t, endpoints, "web.web-3f2a1c", &ep) })
	var regAt time.Time
	for _, r := range c.recorded(t, "web") {
		if _, ok := r.Event.(events.EndpointRegistered); ok {
			regAt = r.Time
		}
	}
	want := registration.Endpoint{App: "web", Instance: "web-3f2a1c", Host: "h1", Addr: "127.0.0.2:20001", RegisteredAt: regAt}
	if ep.App != want.App || ep.Instance != want.Instance || ep.Host != want.Host || ep.Addr != want.Addr || !ep.RegisteredAt.Equal(regAt) {
		t.Fatalf("endpoint %+v, want %+v", ep, want)
	}
	var rt registration.Route
	if !get(t, routes, "web", &rt) || rt.App != "web" || rt.Domains == nil || len(rt.Domains) != 0 {
		t.Fatalf("route %+v, want web with no domains", rt)
	}

	c.append(t, events.AppDomainsSet{App: "web", Domains: []string{"www.example.com"}},
		events.AppDenyListSet{App: "web", Deny: []string{"10.0.0.0/8"}})
	eventually(t, "route updated", func() bool {
		return get(t, routes, "web", &rt) && slices.Equal(rt.Domains, []string{"www.example.com"}) &&
			slices.Equal(rt.Deny, []string{"10.0.0.0/8"})
	})

	c.append(t, events.InstanceExited{App: "web", Instance: "web-3f2a1c", Host: "h1", ExitCode: 1})
	eventually(t, "endpoint removed and deregistered", func() bool {
		return !get(t, endpoints, "web.web-3f2a1c", &ep) && len(deregistrations(c.recorded(t, "web"))) > 0
	})

	// The stop and a later registration elsewhere are handled in order:
	// once the later one shows, the stop has been handled too.
	c.append(t, events.AppStopped{App: "web"}, deployed("api"))
	c.registered(t, "api", "api-00beef", "h1", 20002)
	eventually(t, "api endpoint", func() bool { return get(t, endpoints, "api.api-00beef", &ep) })
	if !get(t, routes, "web", &rt) {
		t.Error("a stopped app's route was removed; the gateway would answer 404 instead of 503")
	}
	if d := deregistrations(c.recorded(t, "web")); len(d) != 1 || d[0].Reason != "instance exited" {
		t.Errorf("deregistrations %+v, want one for the exit", d)
	}
}

// On start the worker removes keys the events don't justify, adds the
// missing ones and corrects wrong values.
func TestReconcilesBucketsOnStart(t *testing.T) {
	c := newCluster(t)
	endpoints, routes := c.bucket(t, events.BucketEndpoints), c.bucket(t, events.BucketRoutes)
	ctx := context.Background()
	c.append(t, deployed("web"), events.AppDomainsSet{App: "web", Domains: []string{"www.example.com"}})
	c.registered(t, "web", "web-000001", "h1", 20001)
	for key, val := range map[string]string{
		"web.web-dead00": `{"app":"web","instance":"web-dead00","host":"h1","addr":"127.0.0.2:1"}`,
	} {
		if _, err := endpoints.Put(ctx, key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}
	for key, val := range map[string]string{"gone": `{"app":"gone"}`, "web": `{"app":"web","domains":[]}`} {
		if _, err := routes.Put(ctx, key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}

	c.worker(t)
	var ep registration.Endpoint
	var rt registration.Route
	eventually(t, "buckets reconciled", func() bool {
		return get(t, endpoints, "web.web-000001", &ep) && !get(t, endpoints, "web.web-dead00", &ep) &&
			!get(t, routes, "gone", &rt) && get(t, routes, "web", &rt) && slices.Equal(rt.Domains, []string{"www.example.com"})
	})
}

// Losing a host deregisters its endpoints.
func TestHostLostDeregisters(t *testing.T) {
	c := newCluster(t)
	endpoints := c.bucket(t, events.BucketEndpoints)
	c.worker(t)
	c.append(t, events.HostRegistered{Host: "h1", Addr: "127.0.0.2"}, deployed("web"))
	c.registered(t, "web", "web-000001", "h1", 20001)
	var ep registration.Endpoint
	eventually(t, "endpoint in the bucket", func() bool { return get(t, endpoints, "web.web-000001", &ep) })

	c.append(t, events.HostLost{Host: "h1", LastSeen: time.Now()})
	eventually(t, "endpoint removed and deregistered", func() bool {
		d := deregistrations(c.recorded(t, "web"))
		return !get(t, endpoints, "web.web-000001", &ep) && len(d) == 1 && d[0].Reason == "host h1 lost"
	})
}

// An instance removed while still registered is deregistered once, even
// by two workers, though its state is gone.
func TestStoppedWhileRegisteredDeregistersOnce(t *testing.T) {
	c := newCluster(t)
	endpoints := c.bucket(t, events.BucketEndpoints)
	c.worker(t)
	c.worker(t)
	c.append(t, deployed("web"))
	c.registered(t, "web", "web-000001", "h1", 20001)
	var ep registration.Endpoint
	eventually(t, "endpoint in the bucket", func() bool { return get(t, endpoints, "web.web-000001", &ep) })

	c.append(t, events.InstanceStopped{App: "web", Instance: "web-000001", Host: "h1"})
	eventually(t, "endpoint removed and deregistered", func() bool {
		return !get(t, endpoints, "web.web-000001", &ep) && len(deregistrations(c.recorded(t, "web"))) > 0
	})
	// Checked once a later event has been handled; a worker still behind
	// would find the deregistration's idempotency key already used.
	c.registered(t, "web", "web-000002", "h1", 20002)
	eventually(t, "second endpoint", func() bool { return get(t, endpoints, "web.web-000002", &ep) })
	if d := deregistrations(c.recorded(t, "web")); len(d) != 1 || d[0].Reason != "instance stopped" {
		t.Errorf("deregistrations %+v, want one, for the stop", d)
	}
}
