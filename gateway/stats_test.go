package gateway_test

import (
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
	"github.com/berth-dev/berth/gateway/stats"
)

func TestDenyListAndMetrics(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	c.putEndpoint(t, startBackend(t, "127.0.0.2", "web", nil).endpoint("web"))
	// Endpoints and routes arrive through separate watches: wait for the
	// endpoint, so the allowed request below is not racing it.
	eventually(t, 10*time.Second, "endpoint routed", func() bool { return g.get(t, "web.localhost", "/").status == http.StatusOK })
	c.putRoute(t, routing.Route{App: "web", Deny: []string{"127.0.0.9/32", "10.0.0.0/8"}})
	eventually(t, 10*time.Second, "deny list applied", func() bool { return deniedFrom(t, g, "127.0.0.9") })

	// A client from an allowed address still gets through.
	if r := g.get(t, "web.localhost", "/"); r.status != http.StatusOK {
		t.Errorf("allowed client got %d", r.status)
	}
	expo := g.metrics(t)
	if v := metricValue(expo, `berth_gateway_denied_requests_total{app="web"}`); v < 1 {
		t.Errorf("denied counter = %v, want >= 1:\n%s", v, grep(expo, "denied"))
	}
	if v := metricValue(expo, `berth_gateway_requests_total{app="web",class="2xx",release="0"}`); v < 1 {
		t.Errorf("2xx counter = %v, want >= 1:\n%s", v, grep(expo, "requests_total"))
	}
	for _, series := range []string{
		`berth_gateway_response_bytes_total{app="web"}`,
		`berth_gateway_request_duration_seconds_count{app="web",release="0"}`,
		`berth_gateway_endpoints{app="web"}`,
	} {
		if v := metricValue(expo, series); v <= 0 {
			t.Errorf("%s = %v, want > 0", series, v)
		}
	}

	// /metrics belongs to the admin port only, never to Host routing.
	if r := g.get(t, "web.localhost", "/metrics"); r.body != "web" {
		t.Errorf("user port /metrics answered %q, want the app's own answer", r.body)
	}
	if r := g.get(t, "localhost", "/metrics"); r.status != http.StatusNotFound {
		t.Errorf("user port /metrics without app = %d, want 404", r.status)
	}
}

// deniedFrom sends one GET from the given loopback source address and
// reports whether it was refused with 403.
func deniedFrom(t *testing.T, g *gw, ip string) bool {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext,
	}}
	defer client.CloseIdleConnections()
	r, err := g.do(client, http.MethodGet, "web.localhost", "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.status == http.StatusForbidden
}

func TestWindowReflectsSlowBackend(t *testing.T) {
	const delay = 200 * time.Millisecond
	slow := startBackend(t, "127.0.0.2", "slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
	})
	fast := startBackend(t, "127.0.0.3", "fast", nil)
	table, _ := routing.Build(nil, []routing.Endpoint{slow.endpoint("slow"), fast.endpoint("fast")})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 2 })

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if r, err := g.do(g.client, http.MethodGet, "slow.localhost", "/", nil); err != nil || r.status != http.StatusOK {
				t.Errorf("slow GET: %d %v", r.status, err)
			}
		})
		g.get(t, "fast.localhost", "/")
	}
	wg.Wait()
	s := g.Window().Snapshot("slow")
	if s.Requests != 10 || s.RPS <= 0 {
		t.Errorf("slow window: %+v, want 10 requests and a rate", s)
	}
	// The window's buckets are 25% wide, so its estimate may sit a bucket
	// below the true value, never further.
	if s.P95 < delay*4/5 || s.P50 < delay*4/5 {
		t.Errorf("slow app p50 %v p95 %v, want about %v", s.P50, s.P95, delay)
	}
	if f := g.Window().Snapshot("fast"); f.Requests != 10 {
		t.Errorf("fast window: %+v, want its own 10 requests", f)
	}
}

func TestPublisherShipsWindows(t *testing.T) {
	c := startCluster(t)
	nc := c.nats.Connect(t)
	b := startBackend(t, "127.0.0.2", "web", nil)
	table, _ := routing.Build([]routing.Route{{App: "idle"}}, []routing.Endpoint{b.endpoint("web")})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 2 })
	for range 5 {
		g.get(t, "web.localhost", "/")
	}

	sub, err := nc.SubscribeSync("berth.metrics.gateway.>")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := stats.NewPublisher(nc, g, stats.PublisherConfig{Gateway: "gw-1", Every: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = pub.Run(t.Context()) }()

	reports := map[string]events.GatewaySample{}
	for len(reports) < 2 {
		msg, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("waiting for reports (have %v): %v", reports, err)
		}
		var r events.GatewaySample
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			t.Fatalf("report %q: %v", msg.Data, err)
		}
		if msg.Subject != events.GatewayMetricsSubject(r.App) {
			t.Errorf("report for %q on subject %q", r.App, msg.Subject)
		}
		reports[r.App] = r
	}
	if w := reports["web"]; w.Requests != 5 || w.Gateway != "gw-1" || w.RPS <= 0 || w.P95MS <= 0 {
		t.Errorf("web report = %+v, want 5 requests from gw-1", w)
	}
	if idle := reports["idle"]; idle.Requests != 0 || idle.WindowMS <= 0 {
		t.Errorf("idle report = %+v, want zero requests over a window", idle)
	}
}
