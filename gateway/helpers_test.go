package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/kvsource"
	"github.com/berth-dev/berth/gateway/routing"
)

// backend is a stand-in app instance: a real HTTP server on its own
// loopback address, answering with its name.
type backend struct {
	name string
	addr string
	srv  *http.Server
	hits atomic.Int64
}

func startBackend(t testing.TB, ip, name string, h http.HandlerFunc) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen %s: %v", ip, err)
	}
	b := &backend{name: name, addr: ln.Addr().String()}
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		w.Header().Set("X-Backend", name)
		if h != nil {
			h(w, r)
			return
		}
		_, _ = io.WriteString(w, name)
	})}
	go func() { _ = b.srv.Serve(ln) }()
	t.Cleanup(b.kill)
	return b
}

// kill drops the listener and every connection, as a killed container does.
func (b *backend) kill() { _ = b.srv.Close() }

func (b *backend) endpoint(app string) routing.Endpoint {
	return routing.Endpoint{App: app, Instance: app + "-" + b.name, Host: "h1", Addr: b.addr, RegisteredAt: time.Now().UTC()}
}

// natsNode is an embedded NATS server that can be shut down and started
// again on the same port and store, as a crashed server would come back.
type natsNode struct {
	t    testing.TB
	dir  string
	port int
	srv  *natsserver.Server
}

func startNATS(t testing.TB) *natsNode {
	t.Helper()
	n := &natsNode{t: t, dir: t.TempDir()}
	n.srv = natstest.StartDir(t, n.dir)
	n.port = n.srv.NATS().Addr().(*net.TCPAddr).Port
	return n
}

func (n *natsNode) Shutdown() { n.srv.Shutdown() }

func (n *natsNode) Restart() {
	n.t.Helper()
	n.srv.Shutdown()
	srv, err := natsserver.Start(natsserver.Config{DataDir: n.dir, Port: n.port})
	if err != nil {
		n.t.Fatalf("restart nats: %v", err)
	}
	n.t.Cleanup(srv.Shutdown)
	n.srv = srv
}

// Connect opens a client that reconnects forever, as a gateway's would.
func (n *natsNode) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	return natstest.Connect(t, n.srv, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
}

// cluster is a real NATS server with the gateway's buckets.
type cluster struct {
	nats      *natsNode
	js        jetstream.JetStream
	endpoints jetstream.KeyValue
	routes    jetstream.KeyValue
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	srv := startNATS(t)
	js, err := jetstream.New(srv.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{nats: srv, js: js}
	ctx := t.Context()
	if c.endpoints, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: events.BucketEndpoints}); err != nil {
		t.Fatal(err)
	}
	if c.routes, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: events.BucketRoutes}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) putEndpoint(t *testing.T, ep routing.Endpoint) {
	t.Helper()
	put(t, c.endpoints, ep.App+"."+ep.Instance, ep)
}

func (c *cluster) deleteEndpoint(t *testing.T, ep routing.Endpoint) {
	t.Helper()
	if err := c.endpoints.Delete(t.Context(), ep.App+"."+ep.Instance); err != nil {
		t.Fatalf("delete endpoint: %v", err)
	}
}

func (c *cluster) putRoute(t *testing.T, r routing.Route) {
	t.Helper()
	put(t, c.routes, r.App, r)
}

func put(t *testing.T, kv jetstream.KeyValue, key string, v any) {
	t.Helper()
	if _, err := kv.Put(t.Context(), key, mustJSON(t, v)); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// kvSource is a kvsource over its own connection, as the gateway will
// have in production.
func (c *cluster) kvSource(t *testing.T) gateway.Source {
	t.Helper()
	js, err := jetstream.New(c.nats.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	src, err := kvsource.New(js, kvsource.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// gw is a running gateway and a client for it.
type gw struct {
	*gateway.Gateway
	url, admin string
	client     *http.Client
}

func startGateway(t testing.TB, src gateway.Source, cfg gateway.Config) *gw {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln, admin) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway serve: %v", err)
		}
	})
	return &gw{
		Gateway: g,
		url:     "http://" + ln.Addr().String(),
		admin:   "http://" + admin.Addr().String(),
		client:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second},
	}
}

type reply struct {
	status int
	body   string
	header http.Header
}

// get sends a GET for host through the gateway.
func (g *gw) get(t *testing.T, host, path string) reply {
	t.Helper()
	r, err := g.do(g.client, http.MethodGet, host, path, nil)
	if err != nil {
		t.Fatalf("GET %s%s: %v", host, path, err)
	}
	return r
}

func (g *gw) do(c *http.Client, method, host, path string, body io.Reader) (reply, error) {
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		return reply{}, err
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, body: string(b), header: resp.Header}, nil
}

func (g *gw) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// spread sends n sequential GETs and counts answers by body.
func (g *gw) spread(t *testing.T, host string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		r := g.get(t, host, "/")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d %q", host, r.status, r.body)
		}
		got[r.body]++
	}
	return got
}

// metricLine reports whether the exposition has a sample line starting with
// prefix and having value.
func metricLine(expo, prefix, value string) bool {
	for line := range strings.Lines(expo) {
		if strings.HasPrefix(line, prefix) && strings.TrimSpace(strings.TrimPrefix(line, prefix)) == value {
			return true
		}
	}
	return false
}

// metricValue is the value of the sample line starting with prefix, or -1.
func metricValue(expo, prefix string) float64 {
	for line := range strings.Lines(expo) {
		if rest, ok := strings.CutPrefix(line, prefix+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
