package service

import (
	"context"
	"net/http"

	"github.com/berth-dev/berth/projections/dashboard"
	"github.com/berth-dev/berth/projections/readapi"
)

// startDashboard serves the web console on the API's address: its pages
// check sessions themselves; the sign-in link endpoint sits behind the
// API's bearer check on mux. It returns the handler in front of the API.
func (s *Server) startDashboard(ctx context.Context, cfg ServerConfig, mux *http.ServeMux) (func(http.Handler) http.Handler, error) {
	d, err := dashboard.New(ctx, dashboard.Config{Token: cfg.Token, Reads: readapi.New(s.DB), DB: s.DB,
		Log: s.Store, Commands: s.Handler, NATS: s.NC, Replicas: cfg.StreamReplicas, API: mux})
	if err != nil {
		return nil, err
	}
	s.cleanup = append(s.cleanup, d.Close)
	d.APIRoutes(mux)
	return d.Front, nil
}
