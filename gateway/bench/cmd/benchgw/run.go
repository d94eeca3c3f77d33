package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/routing"
)

// run serves the gateway on the configured address until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	// Warn and up only: a log line per request would measure the logger.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g, err := newGateway(o, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if o.Pprof != "" {
		stopPprof, err := servePprof(o.Pprof)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
	}
	return g.Serve(ctx, ln, nil)
}

// newGateway builds a gateway whose table routes o.App to o.Endpoints.
func newGateway(o options, log *slog.Logger) (*gateway.Gateway, error) {
	t, err := table(o.App, o.Endpoints, o.Weights)
	if err != nil {
		return nil, err
	}
	return gateway.New(gateway.Config{
		Listen:      o.Listen,
		AdminListen: "-",
		Domain:      o.Domain,
		Logger:      log,
	}, gateway.Static(t))
}

// table is the routing table of one app over addrs, instances named in
// order so round-robin visits them in the order given. With weights,
// endpoint i is release i+1 of weight weights[i].
func table(app string, addrs []string, weights []int) (*routing.Table, error) {
	eps := make([]routing.Endpoint, len(addrs))
	var route []routing.Route
	if len(weights) > 0 {
		route = []routing.Route{{App: app}}
	}
	for i, a := range addrs {
		eps[i] = routing.Endpoint{App: app, Instance: fmt.Sprintf("%s-%06x", app, i), Host: "bench", Addr: a}
		if len(weights) > 0 {
			eps[i].Release = i + 1
			route[0].Weights = append(route[0].Weights, routing.Weight{Release: i + 1, Weight: weights[i]})
		}
	}
	t, problems := routing.Build(route, eps)
	if len(problems) > 0 {
		return nil, fmt.Errorf("routing table: %w", errors.Join(problems...))
	}
	return t, nil
}

func servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
