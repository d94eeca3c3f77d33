package registration

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// BucketCreator is what EnsureBuckets needs of JetStream.
type BucketCreator interface {
	CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// bucketConfig is the one configuration of every bucket EnsureBuckets
// makes: the latest value only, kept on disk.
func bucketConfig(name, description string) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      name,
		Description: description,
		History:     1,
		Storage:     jetstream.FileStorage,
	}
}

var buckets = []jetstream.KeyValueConfig{
	bucketConfig(events.BucketEndpoints, "Berth healthy endpoints, <app>.<instance>"),
	bucketConfig(events.BucketRoutes, "Berth app routing config, <app>"),
	bucketConfig(events.BucketHeartbeats, "Berth host heartbeats, <host>"),
}

// EnsureBuckets creates the KV buckets shared by agents, workers and the
// gateway (endpoints, routes, heartbeats), or brings their configuration
// in line. Safe to call from every process at start.
func EnsureBuckets(ctx context.Context, js BucketCreator) error {
	for _, cfg := range buckets {
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("ensure bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

func ensure(ctx context.Context, js BucketCreator, name string) (jetstream.KeyValue, error) {
	for _, cfg := range buckets {
		if cfg.Bucket == name {
			kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
			if err != nil {
				return nil, fmt.Errorf("ensure bucket %s: %w", name, err)
			}
			return kv, nil
		}
	}
	return nil, fmt.Errorf("ensure bucket %s: not a berth bucket", name)
}
