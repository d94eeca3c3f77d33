package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

// releaseEndpoint is b's endpoint of app as an instance of release.
func (b *backend) releaseEndpoint(app string, release int) routing.Endpoint {
	ep := b.endpoint(app)
	ep.Release = release
	return ep
}

// canaryCluster runs web with two backends of release 6 ("s1", "s2") and
// one of release 7 ("c1"), fed to the gateway through real NATS buckets.
func canaryCluster(t *testing.T) (*cluster, *gw) {
	t.Helper()
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	c.putEndpoint(t, startBackend(t, "127.0.0.2", "s1", nil).releaseEndpoint("web", 6))
	c.putEndpoint(t, startBackend(t, "127.0.0.3", "s2", nil).releaseEndpoint("web", 6))
	c.putEndpoint(t, startBackend(t, "127.0.0.4", "c1", nil).releaseEndpoint("web", 7))
	return c, g
}

// waitWeights waits until the gateway's table carries web's weights.
func waitWeights(t *testing.T, g *gw, endpoints int, want ...routing.Weight) {
	t.Helper()
	eventually(t, 10*time.Second, "weights routed", func() bool {
		a, ok := g.Table().App("web")
		if !ok || len(a.Endpoints) != endpoints || len(a.Weights) != len(want) {
			return false
		}
		for i, w := range want {
			if a.Weights[i] != w {
				return false
			}
		}
		return true
	})
}

func releaseOf(body string) int {
	switch body {
	case "s1", "s2":
		return 6
	case "c1":
		return 7
	}
	return 0
}

func TestWeightedReleasesInterleaveSmoothly(t *testing.T) {
	c, g := canaryCluster(t)
	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 10}, {Release: 6, Weight: 90}}})
	waitWeights(t, g, 3, routing.Weight{Release: 7, Weight: 10}, routing.Weight{Release: 6, Weight: 90})

	count := map[string]int{}
	var canaryAt []int
	for i := range 1000 {
		r := g.get(t, "web.localhost", "/")
		if r.status != http.StatusOK {
			t.Fatalf("GET %d: %d %q", i, r.status, r.body)
		}
		count[r.body]++
		if releaseOf(r.body) == 7 {
			canaryAt = append(canaryAt, i)
		}
	}
	// SWRR over 10:90 is one canary request in every 10, exactly: no
	// bursts, and the stable release's longest run is 9.
	if count["c1"] != 100 || count["s1"] != 450 || count["s2"] != 450 {
		t.Errorf("1000 GETs at 10/90: %v, want c1 100, s1 and s2 450 each", count)
	}
	for i := 1; i < len(canaryAt); i++ {
		if gap := canaryAt[i] - canaryAt[i-1]; gap != 10 {
			t.Fatalf("canary requests at %d and %d: gap %d, want every 10th (%v)", canaryAt[i-1], canaryAt[i], gap, canaryAt[:i+1])
		}
	}
}

func TestWeightChangeTakesEffectOnNextTable(t *testing.T) {
	c, g := canaryCluster(t)
	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 0}, {Release: 6, Weight: 100}}})
	waitWeights(t, g, 3, routing.Weight{Release: 7, Weight: 0}, routing.Weight{Release: 6, Weight: 100})
	if got := g.spread(t, "web.localhost", 40); got["c1"] != 0 || got["s1"] != 20 || got["s2"] != 20 {
		t.Errorf("weight 0 for release 7: %v, want all on release 6, round-robin", got)
	}

	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 50}, {Release: 6, Weight: 50}}})
	waitWeights(t, g, 3, routing.Weight{Release: 7, Weight: 50}, routing.Weight{Release: 6, Weight: 50})
	if got := g.spread(t, "web.localhost", 100); got["c1"] != 50 || got["s1"] != 25 || got["s2"] != 25 {
		t.Errorf("50/50: %v, want c1 50, s1 and s2 25 each", got)
	}

	// Promoted: release 7 takes everything, release 6 none.
	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 100}}})
	waitWeights(t, g, 3, routing.Weight{Release: 7, Weight: 100})
	if got := g.spread(t, "web.localhost", 30); got["c1"] != 30 {
		t.Errorf("100%% on release 7: %v", got)
	}

	// Weights gone: every endpoint alike again.
	c.putRoute(t, routing.Route{App: "web"})
	waitWeights(t, g, 3)
	if got := g.spread(t, "web.localhost", 30); got["c1"] != 10 || got["s1"] != 10 || got["s2"] != 10 {
		t.Errorf("no weights: %v, want 10 each", got)
	}
}

func TestWeightedReleaseWithoutEndpointsFallsBack(t *testing.T) {
	c, g := canaryCluster(t)
	// Release 8 is weighted but has no endpoint yet: serving beats a 503.
	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 8, Weight: 100}}})
	waitWeights(t, g, 3, routing.Weight{Release: 8, Weight: 100})
	if got := g.spread(t, "web.localhost", 30); got["c1"] != 10 || got["s1"] != 10 || got["s2"] != 10 {
		t.Errorf("weighted release without endpoints: %v, want every endpoint alike", got)
	}

	// Its first endpoint arrives: it takes all the traffic.
	c.putEndpoint(t, startBackend(t, "127.0.0.5", "n1", nil).releaseEndpoint("web", 8))
	waitWeights(t, g, 4, routing.Weight{Release: 8, Weight: 100})
	if got := g.spread(t, "web.localhost", 10); got["n1"] != 10 {
		t.Errorf("release 8 up: %v, want all on n1", got)
	}
}

func TestPinHeader(t *testing.T) {
	c, g := canaryCluster(t)
	c.putRoute(t, routing.Route{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 0}, {Release: 6, Weight: 100}}})
	waitWeights(t, g, 3, routing.Weight{Release: 7, Weight: 0}, routing.Weight{Release: 6, Weight: 100})

	pinned := func(value string) reply {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, g.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "web.localhost"
		req.Header.Set(gateway.HeaderRelease, value)
		resp, err := g.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return reply{status: resp.StatusCode, body: b.String(), header: resp.Header}
	}
	// A canary at weight 0 is reachable by pin only.
	for range 5 {
		if r := pinned("7"); r.status != http.StatusOK || r.body != "c1" {
			t.Fatalf("pinned to 7: %d %q, want c1", r.status, r.body)
		}
	}
	got := map[string]int{}
	for range 10 {
		got[pinned("6").body]++
	}
	if got["s1"] != 5 || got["s2"] != 5 {
		t.Errorf("pinned to 6: %v, want round-robin over s1 and s2", got)
	}

	tests := []struct {
		value  string
		status int
		body   string
	}{
		{"9", http.StatusServiceUnavailable, `release 9 of app "web" has no healthy instance`},
		{"abc", http.StatusBadRequest, `"abc" is not a release number`},
		{"0", http.StatusBadRequest, "not a release number"},
		{"-7", http.StatusBadRequest, "not a release number"},
		{"", http.StatusBadRequest, "not a release number"},
	}
	for _, tt := range tests {
		r := pinned(tt.value)
		if r.status != tt.status || !strings.Contains(r.body, tt.body) || !strings.Contains(r.body, gateway.HeaderRelease) {
			t.Errorf("pin %q: %d %q, want %d naming the header and %q", tt.value, r.status, r.body, tt.status, tt.body)
		}
	}
}

func TestRetryStaysInReleaseFirst(t *testing.T) {
	stable := startBackend(t, "127.0.0.2", "s1", nil)
	canary := startBackend(t, "127.0.0.4", "c1", nil)
	dead := routing.Endpoint{App: "web", Instance: "web-c0", Addr: deadAddr(t, "127.0.0.3"), Release: 7}
	table, _ := routing.Build(
		[]routing.Route{{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 100}, {Release: 6, Weight: 0}}}},
		[]routing.Endpoint{stable.releaseEndpoint("web", 6), canary.releaseEndpoint("web", 7), dead})
	g := startGateway(t, gateway.Static(table), gateway.Config{EjectFor: time.Hour})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	// The refusing canary endpoint is retried on the other canary, not on
	// the stable release.
	if got := g.spread(t, "web.localhost", 20); got["c1"] != 20 {
		t.Errorf("GETs = %v, want all 20 on release 7's live endpoint", got)
	}
	canary.kill()
	// With the whole release gone, any endpoint serves; a pinned request
	// does not leave its release.
	if got := g.spread(t, "web.localhost", 5); got["s1"] != 5 {
		t.Errorf("release 7 down: %v, want the stable release to serve", got)
	}
	req, _ := http.NewRequest(http.MethodGet, g.url+"/", nil)
	req.Host = "web.localhost"
	req.Header.Set(gateway.HeaderRelease, "7")
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("pinned to a dead release: %d, want 502", resp.StatusCode)
	}
}
