package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/projections/readapi"
	"github.com/berth-dev/berth/workers/webhooks"
)

// startHooks serves the hook endpoints and runs the delivery worker, with
// its counters at GET /metrics on the API.
func (s *Server) startHooks(ctx context.Context, cfg ServerConfig, mux *http.ServeMux) error {
	secrets := hooks.NewSecrets(s.DB)
	h := hooks.NewHandler(s.Store, "berth/api")
	js := s.Store.JetStream()
	seqSince := func(ctx context.Context, t time.Time) (uint64, error) { return hooks.FirstSeqSince(ctx, js, t) }
	hooks.NewAPI(h, secrets, hooks.Policy{AllowPrivate: cfg.Hooks.AllowPrivate}, seqSince).Routes(mux)
	readapi.New(s.DB).HookRoutes(mux)

	reg := prometheus.NewRegistry()
	wcfg := cfg.Hooks
	wcfg.NATSURL, wcfg.NATSOptions = s.NATSURL, s.natsOpts
	w, err := webhooks.New(wcfg, s.Store, hooks.NewHandler(s.Store, "berth/webhooks"), secrets, s.DB, reg)
	if err != nil {
		return fmt.Errorf("webhooks worker: %w", err)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.group.Go(ctx, "webhooks", w.Run)
	return nil
}
