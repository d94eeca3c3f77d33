package service

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// claimDomains makes the command handler claim custom domains in the
// berth_domains bucket, so two apps (or two servers) never both get one.
func (s *Server) claimDomains(ctx context.Context, js jetstream.JetStream, gatewayDomain string) error {
	kv, err := events.OpenBucket(ctx, js, events.BucketDomains)
	if err != nil {
		return err
	}
	s.Handler.ClaimDomains(kv, gatewayDomain, 0)
	return nil
}

// containerPolicy gives deploys the server's defaults and allow-lists.
func (s *Server) containerPolicy(l Limits) error {
	p, err := l.containerPolicy()
	if err != nil {
		return err
	}
	s.Handler.SetContainerPolicy(p)
	return nil
}
