package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/commands/tokens"
)

// readiness is a dependency /readyz checks.
type readiness func(ctx context.Context) error

// serveAPI serves mux on addr until ctx ends, behind front (the
// dashboard, which checks its own sessions); the listener is bound before
// it returns, so callers can print the address.
func serveAPI(ctx context.Context, addr string, reg *tokens.Registry, mux *http.ServeMux, front func(http.Handler) http.Handler, ready map[string]readiness) (net.Addr, func(), error) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		problems := map[string]string{}
		for name, check := range ready {
			if err := check(ctx); err != nil {
				problems[name] = err.Error()
			}
		}
		if len(problems) > 0 {
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "problems": problems})
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           front(tokens.Middleware(reg, mux, httpjson.Routed(mux), "/healthz", "/readyz")),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("API server stopped", "err", err)
		}
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}
	return ln.Addr(), stop, nil
}
