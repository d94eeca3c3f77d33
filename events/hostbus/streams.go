package hostbus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// duplicates is the message-id window of both streams: an assigner or an
// agent repeating itself within it is stored once.
const duplicates = 10 * time.Minute

// StreamConfigs are the two per-host streams, replicated replicas times.
func StreamConfigs(replicas int) []jetstream.StreamConfig {
	replicas = max(replicas, 1)
	return []jetstream.StreamConfig{{
		Name:        AssignStream,
		Description: "Berth per-host copies of the events about each host's instances",
		Subjects:    []string{AssignPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    replicas,
		Duplicates:  duplicates,
		AllowDirect: true,
		DenyDelete:  true,
		DenyPurge:   true,
	}, {
		Name:        FactStream,
		Description: "Berth facts claimed by agents, awaiting the intake's check",
		Subjects:    []string{FactPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.WorkQueuePolicy,
		Replicas:    replicas,
		Duplicates:  duplicates,
	}}
}

// StreamEnsurer creates or reconfigures streams; jetstream.JetStream is one.
type StreamEnsurer interface {
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
}

// EnsureStreams creates both streams or brings them in line. The server
// calls it; agents only attach.
func EnsureStreams(ctx context.Context, js StreamEnsurer, replicas int) error {
	for _, cfg := range StreamConfigs(replicas) {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}
