package service

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// eventStream serves GET /v1/events/stream over its own NATS connection,
// so clients paging through history never queue ahead of a command's
// append on the command path's connection.
func (s *Server) eventStream(ctx context.Context, limits Limits) (http.Handler, error) {
	nc, err := nats.Connect(s.NATSURL, append(slices.Clone(s.natsOpts), nats.Name("berth-server-streams"), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return nil, fmt.Errorf("connect NATS for event streams: %w", err)
	}
	s.cleanup = append(s.cleanup, nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream for event streams: %w", err)
	}
	store, err := events.AttachStore(ctx, js, "berth/server")
	if err != nil {
		return nil, err
	}
	return store.StreamHandler(events.StreamConfig{MaxStreams: limits.MaxEventStreams}), nil
}
