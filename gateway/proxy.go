package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"sync"
	"time"
)

func (g *Gateway) newProxy() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "endpoint" // the transport fills in the endpoint per attempt
			// Apps see the Host the client asked for, as behind any PaaS router.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:    &retryTransport{base: g.upstream, eject: g.eject},
		BufferPool:   bufferPool{},
		ErrorHandler: g.proxyError,
		ErrorLog:     slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
	}
}

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	app, ok := g.table.Load().Lookup(r.Host, g.cfg.Domain)
	if !ok {
		g.metrics.Unrouted()
		respond(w, errNoApp{host: r.Host})
		return
	}
	st := g.recorder.App(app.Name)
	if app.Denies(clientIP(r.RemoteAddr)) {
		st.Denied()
		respond(w, errDenied{})
		return
	}
	pin, err := pinOf(r.Header)
	if err != nil {
		respond(w, err)
		st.Observe(0, http.StatusBadRequest, 0, start)
		return
	}
	pick, ok := app.Pick(pin)
	if !ok {
		// Counted in the window: demand for an app with no instance is
		// exactly what scaling from zero needs to see. Release 0: a
		// release that is not serving yet must not be blamed for it.
		if pin > 0 {
			respond(w, errNoRelease{app: app.Name, release: pin})
		} else {
			respond(w, errNoInstance{app: app.Name})
		}
		st.Observe(0, http.StatusServiceUnavailable, 0, start)
		return
	}

	g.guardBody(w, r)
	rt := &route{app: app, stats: st, release: pick.Release}
	rt.sel.init(app.Endpoints, pick)
	rec := &responseRecorder{ResponseWriter: w}
	// Deferred: ReverseProxy aborts with a panic when the upstream breaks
	// off mid-body, and that request must still count.
	defer func() { st.Observe(rt.release, rec.status(), rec.bytes, start) }()
	g.proxy.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
}

// proxyError answers a request no endpoint could take.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client left; nobody reads this answer, it only feeds stats.
		w.WriteHeader(statusClientClosed)
		return
	}
	rt, _ := r.Context().Value(routeKey{}).(*route)
	app := ""
	if rt != nil {
		app = rt.app.Name
	}
	g.log.Warn("upstream failed", "app", app, "host", r.Host, "err", err)
	respond(w, errUpstream{err: err})
}

func clientIP(remoteAddr string) netip.Addr {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// responseRecorder notes what was sent for stats. Unwrap lets
// http.ResponseController reach Flush and Hijack, which ReverseProxy
// needs for streaming and upgrades.
type responseRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *responseRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// bufferPool recycles ReverseProxy's copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }
