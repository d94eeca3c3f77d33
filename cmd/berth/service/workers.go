package service

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/workers/assign"
	"github.com/berth-dev/berth/workers/autoscaler"
	"github.com/berth-dev/berth/workers/health"
	"github.com/berth-dev/berth/workers/hostwatch"
	"github.com/berth-dev/berth/workers/intake"
	"github.com/berth-dev/berth/workers/registration"
	"github.com/berth-dev/berth/workers/rollout"
	"github.com/berth-dev/berth/workers/scheduler"
)

// startWorkers runs the workers that react to events. Each can run in
// several servers at once: decisions go through the command handler.
func (s *Server) startWorkers(ctx context.Context, cfg ServerConfig) error {
	js, err := jetstream.New(s.NC)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if err := events.EnsureBuckets(ctx, js, cfg.StreamReplicas); err != nil {
		return fmt.Errorf("create KV buckets: %w", err)
	}
	if err := hostbus.EnsureStreams(ctx, js, cfg.StreamReplicas); err != nil {
		return fmt.Errorf("create host streams: %w", err)
	}
	assigner, err := assign.New(s.Store, js, nil)
	if err != nil {
		return fmt.Errorf("assigner: %w", err)
	}
	facts, err := intake.New(s.Store, js, nil)
	if err != nil {
		return fmt.Errorf("fact intake: %w", err)
	}
	hw, err := health.New(health.Config{}, s.Store, s.Handler)
	if err != nil {
		return fmt.Errorf("health worker: %w", err)
	}
	reg, err := registration.New(registration.Config{}, s.Store, s.Handler, js)
	if err != nil {
		return fmt.Errorf("registration worker: %w", err)
	}
	hosts, err := hostwatch.New(hostwatch.Config{}, s.Store, js)
	if err != nil {
		return fmt.Errorf("hostwatch worker: %w", err)
	}
	sched, err := scheduler.New(scheduler.Config{}, s.Store, s.Handler, js)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	as, err := autoscaler.New(autoscaler.Config{}, s.Store, s.NC, s.Handler)
	if err != nil {
		return fmt.Errorf("autoscaler: %w", err)
	}
	ro, err := rollout.New(rollout.Config{}, s.Store, s.NC, s.Handler)
	if err != nil {
		return fmt.Errorf("rollout worker: %w", err)
	}
	s.group.Go(ctx, "assigner", assigner.Run)
	s.group.Go(ctx, "fact intake", facts.Run)
	s.group.Go(ctx, "scheduler", sched.Run)
	s.group.Go(ctx, "rollout", ro.Run)
	s.group.Go(ctx, "health", hw.Run)
	s.group.Go(ctx, "registration", reg.Run)
	s.group.Go(ctx, "hostwatch", hosts.Run)
	s.group.Go(ctx, "autoscaler", as.Run)
	return nil
}
