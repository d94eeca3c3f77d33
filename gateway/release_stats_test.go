package gateway_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
	"github.com/berth-dev/berth/gateway/stats"
)

// samples collects the gateway samples of app published on nc.
type samples struct {
	sub *nats.Subscription
}

func subscribeSamples(t *testing.T, nc *nats.Conn, app string) *samples {
	t.Helper()
	sub, err := nc.SubscribeSync(events.GatewayMetricsSubject(app))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &samples{sub: sub}
}

func (s *samples) next(t *testing.T) events.GatewaySample {
	t.Helper()
	msg, err := s.sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("waiting for a sample: %v", err)
	}
	var g events.GatewaySample
	if err := json.Unmarshal(msg.Data, &g); err != nil {
		t.Fatalf("sample %q: %v", msg.Data, err)
	}
	return g
}

func byRelease(rs []events.ReleaseTraffic) map[int]events.ReleaseTraffic {
	m := map[int]events.ReleaseTraffic{}
	for _, r := range rs {
		m[r.Release] = r
	}
	return m
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// pinnedGet sends a GET for web pinned to release and returns its status.
func (g *gw) pinnedGet(t *testing.T, path, release string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "web.localhost"
	req.Header.Set(gateway.HeaderRelease, release)
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReleaseStatsPublished(t *testing.T) {
	c := startCluster(t)
	nc := c.nats.Connect(t)
	stable := startBackend(t, "127.0.0.2", "s1", nil)
	canary := startBackend(t, "127.0.0.3", "c1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("c1"))
	})
	dead := routing.Endpoint{App: "web", Instance: "web-d1", Addr: deadAddr(t, "127.0.0.4"), Release: 8}
	table, _ := routing.Build(
		[]routing.Route{{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 50}, {Release: 6, Weight: 50}}}},
		[]routing.Endpoint{stable.releaseEndpoint("web", 6), canary.releaseEndpoint("web", 7), dead})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	pub, err := stats.NewPublisher(nc, g, stats.PublisherConfig{Gateway: "gw-1", Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := subscribeSamples(t, nc, "web")
	t0 := time.Now()
	if err := pub.PublishOnce(t0); err != nil {
		t.Fatal(err)
	}
	if first := s.next(t); len(first.Releases) != 0 || first.PeriodMS <= 0 {
		t.Fatalf("first sample = %+v, want no traffic over a period", first)
	}

	// Period 1: 20 GETs split 10/10, then 4 pinned to the canary that
	// answer 500, one pinned to release 8 whose only endpoint refuses
	// (the gateway's own 502) and one pinned to release 9, which has no
	// endpoint (503, blamed on no release).
	if split := g.spread(t, "web.localhost", 20); split["s1"] != 10 || split["c1"] != 10 {
		t.Fatalf("50/50 split uneven: %v", split)
	}
	for range 4 {
		if st := g.pinnedGet(t, "/fail", "7"); st != http.StatusInternalServerError {
			t.Fatalf("canary /fail: %d", st)
		}
	}
	if st := g.pinnedGet(t, "/", "8"); st != http.StatusBadGateway {
		t.Fatalf("pinned to a refusing release: %d, want 502", st)
	}
	if st := g.pinnedGet(t, "/", "9"); st != http.StatusServiceUnavailable {
		t.Fatalf("pinned to a release without endpoints: %d, want 503", st)
	}
	t1 := t0.Add(5 * time.Second)
	if err := pub.PublishOnce(t1); err != nil {
		t.Fatal(err)
	}
	got := s.next(t)
	if got.PeriodMS != 5000 || got.Gateway != "gw-1" || got.Requests != 26 {
		t.Errorf("sample: period %d ms, gateway %q, window requests %d; want 5000, gw-1, 26", got.PeriodMS, got.Gateway, got.Requests)
	}
	rel := byRelease(got.Releases)
	want := map[int][2]int64{0: {1, 1}, 6: {10, 0}, 7: {14, 4}, 8: {1, 1}}
	if len(rel) != len(want) {
		t.Errorf("releases = %+v, want 0, 6, 7 and 8", got.Releases)
	}
	for v, w := range want {
		r := rel[v]
		if r.Requests != w[0] || r.Errors != w[1] || sum(r.Latency) != w[0] || len(r.Latency) != len(events.LatencyBoundsMS)+1 {
			t.Errorf("release %d = %+v, want %d requests, %d errors, a latency count each", v, r, w[0], w[1])
		}
	}

	// Period 2 counts only what came after the last sample.
	g.spread(t, "web.localhost", 4)
	if err := pub.PublishOnce(t1.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got = s.next(t)
	rel = byRelease(got.Releases)
	if got.PeriodMS != 2000 || len(rel) != 2 || rel[6].Requests != 2 || rel[7].Requests != 2 || rel[7].Errors != 0 {
		t.Errorf("second period = %+v, want 2000 ms with 2 requests each on 6 and 7", got)
	}
}

func TestReleaseStatsPeriodsNeverOverlap(t *testing.T) {
	c := startCluster(t)
	nc := c.nats.Connect(t)
	one := startBackend(t, "127.0.0.2", "a", nil)
	two := startBackend(t, "127.0.0.3", "b", nil)
	table, _ := routing.Build(
		[]routing.Route{{App: "web", Weights: []routing.Weight{{Release: 2, Weight: 30}, {Release: 1, Weight: 70}}}},
		[]routing.Endpoint{one.releaseEndpoint("web", 1), two.releaseEndpoint("web", 2)})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })
	s := subscribeSamples(t, nc, "web")
	pub, err := stats.NewPublisher(nc, g, stats.PublisherConfig{Gateway: "gw-1", Every: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = pub.Run(t.Context()) }()

	// 8 clients send GETs while the publisher drains every 20 ms, until
	// three samples carried traffic; then the samples must add up to
	// exactly what each release's backend answered.
	var (
		wg   sync.WaitGroup
		stop atomic.Bool
		sent atomic.Int64
	)
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				if r, err := g.do(g.client, http.MethodGet, "web.localhost", "/", nil); err != nil || r.status != http.StatusOK {
					t.Errorf("GET: %d %v", r.status, err)
					return
				}
				sent.Add(1)
			}
		})
	}
	total := map[int]int64{}
	withTraffic := 0
	add := func(sample events.GatewaySample) {
		if len(sample.Releases) > 0 {
			withTraffic++
		}
		for _, r := range sample.Releases {
			total[r.Release] += r.Requests
		}
	}
	for withTraffic < 3 {
		add(s.next(t))
	}
	stop.Store(true)
	wg.Wait()
	for total[1]+total[2] < sent.Load() {
		add(s.next(t))
	}
	if total[1] != one.hits.Load() || total[2] != two.hits.Load() || total[1]+total[2] != sent.Load() {
		t.Errorf("samples add up to %v; backends answered 1: %d, 2: %d of %d sent", total, one.hits.Load(), two.hits.Load(), sent.Load())
	}
	// Nothing is counted twice: later samples carry no traffic.
	for range 3 {
		if extra := s.next(t); len(extra.Releases) != 0 {
			t.Errorf("a later sample counts requests again: %+v", extra.Releases)
		}
	}
}

func TestMetricsByRelease(t *testing.T) {
	b := startBackend(t, "127.0.0.2", "c1", nil)
	table, _ := routing.Build(nil, []routing.Endpoint{b.releaseEndpoint("web", 7)})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })
	g.spread(t, "web.localhost", 3)

	expo := g.metrics(t)
	for series, want := range map[string]float64{
		`berth_gateway_requests_total{app="web",class="2xx",release="7"}`:     3,
		`berth_gateway_request_duration_seconds_count{app="web",release="7"}`: 3,
		`berth_gateway_requests_total{app="web",class="5xx",release="7"}`:     0,
	} {
		if v := metricValue(expo, series); v != want {
			t.Errorf("%s = %v, want %v:\n%s", series, v, want, grep(expo, "web"))
		}
	}

	// A release that leaves the table takes its series along.
	next, _ := routing.Build(nil, []routing.Endpoint{startBackend(t, "127.0.0.3", "c2", nil).releaseEndpoint("web", 8)})
	g.SetTable(next)
	g.spread(t, "web.localhost", 1)
	expo = g.metrics(t)
	if v := metricValue(expo, `berth_gateway_requests_total{app="web",class="2xx",release="7"}`); v != -1 {
		t.Errorf("release 7 left the table, its series is still there (%v)", v)
	}
	if v := metricValue(expo, `berth_gateway_requests_total{app="web",class="2xx",release="8"}`); v != 1 {
		t.Errorf("release 8 series = %v, want 1", v)
	}
}
