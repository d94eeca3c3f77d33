package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/gateway/routing"
	"github.com/berth-dev/berth/gateway/stats"
)

// Source feeds the gateway a new routing table whenever the cluster
// changes. Run blocks until ctx ends; kvsource.Source is the real one.
type Source interface {
	Run(ctx context.Context, update func(*routing.Table)) error
}

// Static is a Source serving one fixed table, for tests and benchmarks.
func Static(t *routing.Table) Source { return staticSource{t} }

type staticSource struct{ t *routing.Table }

func (s staticSource) Run(ctx context.Context, update func(*routing.Table)) error {
	update(s.t)
	<-ctx.Done()
	return nil
}

// Gateway routes user traffic to app endpoints.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	source   Source
	table    atomic.Pointer[routing.Table]
	proxy    http.Handler
	upstream *http.Transport
	eject    *ejector
	metrics  *stats.Metrics
	recorder *stats.Recorder
	window   *stats.Window
	registry *prometheus.Registry
	// clients caps connections per client address (connlimit.go).
	clients atomic.Pointer[perClientListener]
}

// New builds a gateway fed by source. Nothing listens until Run or Serve.
func New(cfg Config, source Source) (*Gateway, error) {
	if source == nil {
		return nil, errors.New("gateway: nil source")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := stats.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	window := stats.NewWindow(cfg.StatsWindow, nil)
	g := &Gateway{
		cfg:      cfg,
		log:      cfg.Logger,
		source:   source,
		eject:    newEjector(cfg.EjectFor),
		metrics:  metrics,
		recorder: stats.NewRecorder(metrics, window),
		window:   window,
		registry: reg,
	}
	g.table.Store(routing.Empty())
	g.upstream = newTransport(cfg)
	g.proxy = g.newProxy()
	return g, nil
}

// SetTable swaps in a new routing table; sources call it via Run's update.
func (g *Gateway) SetTable(t *routing.Table) {
	if t == nil {
		t = routing.Empty()
	}
	t.CarryOver(g.table.Load())
	g.table.Store(t)
	counts := map[string]int{}
	for _, name := range t.Apps() {
		a, _ := t.App(name)
		counts[name] = len(a.Endpoints)
	}
	g.metrics.SetEndpoints(counts)
	g.recorder.Prune(func(app string, release int) bool { return releaseLive(t, app, release) })
}

// releaseLive reports whether the table still routes to release or names
// it in the app's weights.
func releaseLive(t *routing.Table, app string, release int) bool {
	a, ok := t.App(app)
	if !ok {
		return false
	}
	for _, r := range a.Releases() {
		if r.Version == release {
			return true
		}
	}
	for _, w := range a.Weights {
		if w.Release == release {
			return true
		}
	}
	return false
}

// Table returns the routing table in use.
func (g *Gateway) Table() *routing.Table { return g.table.Load() }

// Handler is the user-facing handler: Host routing, deny lists, proxying.
func (g *Gateway) Handler() http.Handler { return http.HandlerFunc(g.serveHTTP) }

// AdminHandler serves /metrics; never expose it on the user-facing port.
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// Window is the in-process sliding window of per-app stats.
func (g *Gateway) Window() *stats.Window { return g.window }

// Apps lists the apps in the routing table or seen in traffic, for the
// stats publisher: an app whose traffic stopped still reports zeros.
func (g *Gateway) Apps() []string {
	apps := append(g.Table().Apps(), g.window.Apps()...)
	slices.Sort(apps)
	return slices.Compact(apps)
}

// Snapshot returns app's window stats.
func (g *Gateway) Snapshot(app string) stats.Stats { return g.window.Snapshot(app) }

// DrainReleases returns app's traffic per release since the previous call;
// the stats publisher is its one caller.
func (g *Gateway) DrainReleases(app string) []events.ReleaseTraffic {
	return g.window.DrainReleases(app)
}

// Run listens on the configured addresses and serves until ctx ends.
func (g *Gateway) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway listen: %w", err)
	}
	var admin net.Listener
	if g.cfg.AdminListen != "-" {
		admin, err = net.Listen("tcp", g.cfg.AdminListen)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("gateway admin listen: %w", err)
		}
	}
	return g.Serve(ctx, ln, admin)
}

// Serve runs the source and serves user traffic on ln and the admin
// handler on admin (nil: none) until ctx ends, then drains in-flight
// requests. It closes both listeners.
func (g *Gateway) Serve(ctx context.Context, ln, admin net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	clients := limitPerClient(ln, g.cfg.MaxConnsPerClient)
	g.clients.Store(clients)
	servers := []*http.Server{g.newServer(g.Handler())}
	listeners := []net.Listener{clients}
	if admin != nil {
		servers = append(servers, &http.Server{Handler: g.AdminHandler(), ReadHeaderTimeout: g.cfg.ReadHeaderTimeout})
		listeners = append(listeners, admin)
	}

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}
	wg.Go(func() {
		if err := g.source.Run(ctx, g.SetTable); err != nil {
			fail(fmt.Errorf("routing source: %w", err))
		}
	})
	for i, srv := range servers {
		wg.Go(func() {
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("serve %s: %w", listeners[i].Addr(), err))
			}
		})
	}
	g.log.Info("gateway serving", "addr", ln.Addr(), "domain", g.cfg.Domain)

	<-ctx.Done()
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.ShutdownTimeout)
	defer stop()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			_ = srv.Close()
		}
	}
	wg.Wait()
	g.upstream.CloseIdleConnections()
	return firstErr
}

func (g *Gateway) newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		ReadTimeout:       g.cfg.ReadTimeout,
		WriteTimeout:      g.cfg.WriteTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
	}
}
