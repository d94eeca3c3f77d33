package service

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/gateway"
	"github.com/berth-dev/berth/gateway/kvsource"
	"github.com/berth-dev/berth/gateway/stats"
)

// startGateway binds the gateway's listeners (so their addresses are known
// and a busy port fails start-up) and serves until ctx ends.
func (s *Server) startGateway(ctx context.Context, cfg ServerConfig) error {
	if cfg.GatewayListen == "" {
		return nil
	}
	js, err := jetstream.New(s.NC)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	src, err := kvsource.New(js, kvsource.Config{})
	if err != nil {
		return fmt.Errorf("gateway source: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.GatewayListen)
	if err != nil {
		return fmt.Errorf("gateway listen on %s: %w", cfg.GatewayListen, err)
	}
	var admin net.Listener
	if cfg.GatewayAdmin != "" && cfg.GatewayAdmin != "-" {
		if admin, err = net.Listen("tcp", cfg.GatewayAdmin); err != nil {
			ln.Close()
			return fmt.Errorf("gateway admin listen on %s: %w", cfg.GatewayAdmin, err)
		}
		s.GatewayAdminAddr = admin.Addr()
	}
	s.GatewayAddr = ln.Addr()
	adminAddr := "-"
	if admin != nil {
		adminAddr = admin.Addr().String()
	}
	gw, err := gateway.New(gateway.Config{Listen: ln.Addr().String(), AdminListen: adminAddr, Domain: cfg.GatewayDomain,
		ReadTimeout: cfg.Limits.GatewayReadTimeout, BodyReadTimeout: cfg.Limits.GatewayBodyTimeout,
		MaxConnsPerClient: cfg.Limits.GatewayConnsPerClient}, src)
	if err != nil {
		ln.Close()
		if admin != nil {
			admin.Close()
		}
		return fmt.Errorf("gateway: %w", err)
	}
	name, _ := os.Hostname()
	pub, err := stats.NewPublisher(s.NC, gw, stats.PublisherConfig{Gateway: name + "/" + ln.Addr().String(),
		// Every second: a canary is judged on the samples of its interval.
		Every: time.Second})
	if err != nil {
		return fmt.Errorf("gateway stats publisher: %w", err)
	}
	served := false
	s.group.Go(ctx, "gateway", func(ctx context.Context) error {
		if served { // a restart after failure binds afresh
			return gw.Run(ctx)
		}
		served = true
		return gw.Serve(ctx, ln, admin)
	})
	s.group.Go(ctx, "gateway-stats", pub.Run)
	return nil
}
