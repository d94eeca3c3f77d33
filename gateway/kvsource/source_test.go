package kvsource_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/gateway/kvsource"
	"github.com/berth-dev/berth/gateway/routing"
)

// run starts a source and returns the latest table it produced.
func run(t *testing.T, js jetstream.JetStream) func() *routing.Table {
	t.Helper()
	src, err := kvsource.New(js, kvsource.Config{RetryMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var latest atomic.Pointer[routing.Table]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, latest.Store) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return latest.Load
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, what, cond)
}

func put(t *testing.T, kv jetstream.KeyValue, key string, v any) {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.Put(t.Context(), key, b); err != nil {
		t.Fatal(err)
	}
}

func endpoints(tab *routing.Table, app string) int {
	if tab == nil {
		return -1
	}
	a, ok := tab.App(app)
	if !ok {
		return -1
	}
	return len(a.Endpoints)
}

func TestSourceFollowsBuckets(t *testing.T) {
	srv := natstest.Start(t)
	js := natstest.JetStream(t, srv)
	table := run(t, js)

	// Buckets created after the source starts: it waits for them, and the
	// endpoints bucket alone is enough to route.
	eps, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: events.BucketEndpoints})
	if err != nil {
		t.Fatal(err)
	}
	put(t, eps, "web.web-aaaaaa", routing.Endpoint{App: "web", Instance: "web-aaaaaa", Addr: "127.0.0.2:1"})
	put(t, eps, "web.web-bbbbbb", []byte("{not json"))
	put(t, eps, "api.api-cccccc", routing.Endpoint{Instance: "api-cccccc", Addr: "127.0.0.3:1"}) // app from key
	waitFor(t, "endpoints routed", func() bool {
		return endpoints(table(), "web") == 1 && endpoints(table(), "api") == 1
	})

	routes, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: events.BucketRoutes})
	if err != nil {
		t.Fatal(err)
	}
	put(t, routes, "web", routing.Route{App: "web", Domains: []string{"web.example"}})
	waitFor(t, "custom domain routed", func() bool {
		a, ok := table().Lookup("web.example", "localhost")
		return ok && a.Name == "web"
	})

	// Losing the last instance leaves a known app with nothing to serve.
	if err := eps.Delete(t.Context(), "api.api-cccccc"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "api without endpoints", func() bool { return endpoints(table(), "api") == 0 })

	if err := routes.Purge(t.Context(), "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "custom domain dropped", func() bool {
		_, ok := table().Lookup("web.example", "localhost")
		return !ok
	})
}

func TestSourceStartsFromExistingValues(t *testing.T) {
	srv := natstest.Start(t)
	js := natstest.JetStream(t, srv)
	eps, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: events.BucketEndpoints, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, addr := range []string{"127.0.0.2:1", "127.0.0.2:2", "127.0.0.2:3"} {
		inst := "web-00000" + string(rune('0'+i))
		put(t, eps, "web."+inst, routing.Endpoint{App: "web", Instance: inst, Addr: addr})
	}
	// Rewritten keys replay as their latest value only.
	put(t, eps, "web.web-000000", routing.Endpoint{App: "web", Instance: "web-000000", Addr: "127.0.0.2:9"})
	if err := eps.Delete(t.Context(), "web.web-000002"); err != nil {
		t.Fatal(err)
	}

	table := run(t, js)
	waitFor(t, "initial values loaded", func() bool { return endpoints(table(), "web") == 2 })
	a, _ := table().App("web")
	if a.Endpoints[0].Addr != "127.0.0.2:9" {
		t.Errorf("endpoints = %+v, want the rewritten address", a.Endpoints)
	}
}
