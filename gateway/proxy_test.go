package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

func TestKilledEndpointCostsNoFailedGETs(t *testing.T) {
	c := startCluster(t)
	g := startGateway(t, c.kvSource(t), gateway.Config{})
	var backends []*backend
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		b := startBackend(t, ip, string(rune('a'+i)), nil)
		backends = append(backends, b)
		c.putEndpoint(t, b.endpoint("web"))
	}
	eventually(t, 10*time.Second, "all endpoints routed", func() bool {
		a, ok := g.Table().App("web")
		return ok && len(a.Endpoints) == 3
	})
	victim := backends[1]

	const workers, perWorker = 8, 250
	var (
		done     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		kill     sync.Once
		deregist sync.Once
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				r, err := g.do(g.client, http.MethodGet, "web.localhost", "/", nil)
				if err != nil || r.status != http.StatusOK {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, []any{r.status, r.body, err})
				}
				// Kill a quarter into the burst; the registry notices
				// only later, as health checks would.
				switch n := done.Add(1); {
				case n == workers*perWorker/4:
					kill.Do(victim.kill)
				case n == workers*perWorker/2:
					deregist.Do(func() {
						if err := c.endpoints.Delete(context.Background(), "web."+victim.endpoint("web").Instance); err != nil {
							t.Errorf("deregister: %v", err)
						}
					})
				}
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d GETs failed while an endpoint died; first: %v", n, workers*perWorker, firstErr.Load())
	}
	for _, b := range []*backend{backends[0], backends[2]} {
		if b.hits.Load() == 0 {
			t.Errorf("backend %s took no traffic", b.name)
		}
	}
	if retries := metricValue(g.metrics(t), `berth_gateway_upstream_retries_total{app="web"}`); retries <= 0 {
		t.Errorf("retries = %v, yet an endpoint died mid-burst", retries)
	}
}

// deadAddr is an address nothing listens on: connecting is refused.
func deadAddr(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRefusingEndpointIsEjected(t *testing.T) {
	live := startBackend(t, "127.0.0.2", "live", nil)
	dead := routing.Endpoint{App: "web", Instance: "web-dead", Addr: deadAddr(t, "127.0.0.3")}
	table, _ := routing.Build(nil, []routing.Endpoint{live.endpoint("web"), dead})
	// Ejected for the whole test, so exactly one request pays a retry.
	g := startGateway(t, gateway.Static(table), gateway.Config{EjectFor: time.Hour})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	if got := g.spread(t, "web.localhost", 50); got["live"] != 50 {
		t.Fatalf("GETs = %v, want all 50 on the live endpoint", got)
	}
	if expo := g.metrics(t); !metricLine(expo, `berth_gateway_upstream_retries_total{app="web"}`, "1") {
		t.Errorf("want exactly one retry (then the dead endpoint is skipped); metrics:\n%s", grep(expo, "retries"))
	}
}

func TestOnlyEndpointRefusing(t *testing.T) {
	dead := routing.Endpoint{App: "web", Instance: "web-dead", Addr: deadAddr(t, "127.0.0.3")}
	table, _ := routing.Build(nil, []routing.Endpoint{dead})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r, err := g.do(g.client, method, "web.localhost", "/", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusBadGateway || strings.Contains(r.body, "127.0.0.3") {
			t.Errorf("%s to refusing endpoint = %d %q, want 502 without upstream details", method, r.status, r.body)
		}
	}
}

func TestSilentEndpointTimesOut(t *testing.T) {
	b := startBackend(t, "127.0.0.2", "silent", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	table, _ := routing.Build(nil, []routing.Endpoint{b.endpoint("web")})
	g := startGateway(t, gateway.Static(table), gateway.Config{ResponseHeaderTimeout: 100 * time.Millisecond})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	if r := g.get(t, "web.localhost", "/"); r.status != http.StatusGatewayTimeout || !strings.Contains(r.body, "timed out") {
		t.Errorf("silent endpoint = %d %q, want 504", r.status, r.body)
	}
	if b.hits.Load() != 1 {
		t.Errorf("endpoint hit %d times, want 1: a timeout is not retried", b.hits.Load())
	}
}

func TestForwardedHeaders(t *testing.T) {
	b := startBackend(t, "127.0.0.2", "echo", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"host":  r.Host,
			"xff":   r.Header.Get("X-Forwarded-For"),
			"proto": r.Header.Get("X-Forwarded-Proto"),
			"xfh":   r.Header.Get("X-Forwarded-Host"),
			"path":  r.URL.RequestURI(),
		})
	})
	table, _ := routing.Build(nil, []routing.Endpoint{b.endpoint("web")})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	req, _ := http.NewRequest(http.MethodGet, g.url+"/a/b?c=d", nil)
	req.Host = "web.localhost:8080"
	req.Header.Set("X-Forwarded-For", "6.6.6.6") // a client must not forge its address
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"host": "web.localhost:8080", "xff": "127.0.0.1", "proto": "http", "xfh": "web.localhost:8080", "path": "/a/b?c=d"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("upstream saw %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	started := make(chan struct{})
	canceled := make(chan struct{})
	b := startBackend(t, "127.0.0.2", "slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			close(canceled)
		case <-time.After(time.Minute):
		}
	})
	table, _ := routing.Build(nil, []routing.Endpoint{b.endpoint("web")})
	g := startGateway(t, gateway.Static(table), gateway.Config{})
	eventually(t, 5*time.Second, "table served", func() bool { return len(g.Table().Apps()) == 1 })

	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/", nil)
	req.Host = "web.localhost"
	errc := make(chan error, 1)
	go func() {
		resp, err := g.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("upstream request still running after the client left")
	}
	if err := <-errc; err == nil {
		t.Error("client request succeeded after cancel")
	}
}

func grep(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
