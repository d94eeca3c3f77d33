package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		c.putEndpoint(t, startBackend(t, ip, string(rune('a'+i)), nil).endpoint("web"))
	}
	eventually(t, 10*time.Second, "all three endpoints routed", func() bool {
		a, ok := g.Table().App("web")
		return ok && len(a.Endpoints) == 3
	})

	got := g.spread(t, "web.localhost", 300)
	for _, name := range []string{"a", "b", "c"} {
		if got[name] != 100 {
			t.Errorf("300 GETs over 3 endpoints: %v, want 100 each", got)
			break
		}
	}
}

func TestEndpointChangesReachRouting(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	first := startBackend(t, "127.0.0.2", "first", nil)
	second := startBackend(t, "127.0.0.3", "second", nil)
	c.putEndpoint(t, first.endpoint("web"))
	eventually(t, 10*time.Second, "first endpoint routed", func() bool {
		return g.get(t, "web.localhost", "/").status == http.StatusOK
	})

	c.putEndpoint(t, second.endpoint("web"))
	took := eventually(t, 5*time.Second, "new endpoint gets traffic", func() bool {
		return g.get(t, "web.localhost", "/").body == "second"
	})
	t.Logf("new endpoint took traffic %v after its key was put", took)

	c.deleteEndpoint(t, second.endpoint("web"))
	took = eventually(t, 5*time.Second, "deleted endpoint leaves the table", func() bool {
		a, _ := g.Table().App("web")
		return len(a.Endpoints) == 1
	})
	t.Logf("deleted endpoint left routing %v after its key was deleted", took)
	before := second.hits.Load()
	if got := g.spread(t, "web.localhost", 20); got["first"] != 20 || second.hits.Load() != before {
		t.Errorf("after delete: %v, want all 20 on first", got)
	}

	// The last endpoint going away leaves a known app without instances.
	c.deleteEndpoint(t, first.endpoint("web"))
	eventually(t, 5*time.Second, "503 once the last endpoint is gone", func() bool {
		return g.get(t, "web.localhost", "/").status == http.StatusServiceUnavailable
	})
}

func TestHostRouting(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{Domain: "apps.test"})
	c.putEndpoint(t, startBackend(t, "127.0.0.2", "shop", nil).endpoint("shop"))
	c.putRoute(t, routing.Route{App: "shop", Domains: []string{"www.shop.example"}})
	c.putRoute(t, routing.Route{App: "idle"})
	eventually(t, 10*time.Second, "routes loaded", func() bool {
		_, ok := g.Table().App("idle")
		a, _ := g.Table().App("shop")
		return ok && a != nil && len(a.Domains) == 1
	})

	tests := []struct {
		host   string
		status int
		body   string
	}{
		{"shop.apps.test", 200, "shop"},
		{"shop.apps.test:8080", 200, "shop"},
		{"WWW.SHOP.EXAMPLE", 200, "shop"},
		{"www.shop.example:443", 200, "shop"},
		{"nope.apps.test", 404, "no app serves host"},
		{"shop.localhost", 404, "no app serves host"},
		{"idle.apps.test", 503, "no healthy instance"},
	}
	for _, tt := range tests {
		r := g.get(t, tt.host, "/")
		if r.status != tt.status || !strings.Contains(r.body, tt.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tt.host, r.status, r.body, tt.status, tt.body)
		}
		if tt.status != 200 && r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: content type %q, want plain text", tt.host, r.header.Get("Content-Type"))
		}
	}
}
