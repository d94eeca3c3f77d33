package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// bucketDescriptions lists every KV bucket Berth shares between processes.
var bucketDescriptions = map[string]string{
	BucketEndpoints:  "Berth healthy endpoints, <app>.<instance>",
	BucketRoutes:     "Berth app routing config, <app>",
	BucketHeartbeats: "Berth host heartbeats, <host>",
	BucketPorts:      "Berth host port claims, <host>.<port> = instance",
	BucketDomains:    "Berth custom domain claims, <domain> = app",
}

// BucketConfig is the one configuration of a Berth bucket: the latest
// value only, kept on disk, on replicas servers of a cluster.
func BucketConfig(name string, replicas int) (jetstream.KeyValueConfig, error) {
	desc, ok := bucketDescriptions[name]
	if !ok {
		return jetstream.KeyValueConfig{}, fmt.Errorf("bucket %q is not a Berth bucket", name)
	}
	return jetstream.KeyValueConfig{
		Bucket:      name,
		Description: desc,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}, nil
}

// BucketEnsurer creates or reconfigures buckets; jetstream.JetStream is one.
type BucketEnsurer interface {
	CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// EnsureBuckets creates every Berth bucket, or brings its configuration in
// line, with replicas copies. The server calls it: it owns the cluster
// settings; other processes only OpenBucket.
func EnsureBuckets(ctx context.Context, js BucketEnsurer, replicas int) error {
	for _, name := range []string{BucketEndpoints, BucketRoutes, BucketHeartbeats, BucketPorts, BucketDomains} {
		cfg, _ := BucketConfig(name, replicas)
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("ensure bucket %s: %w", name, err)
		}
	}
	return nil
}

// BucketOpener opens buckets, creating missing ones; jetstream.JetStream is one.
type BucketOpener interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
	CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// OpenBucket opens a Berth bucket as it is. Only when it does not exist
// yet (an agent that started before any server) is it created, with one
// replica; EnsureBuckets later sets the server's replicas, and nothing
// opening it changes them back.
func OpenBucket(ctx context.Context, js BucketOpener, name string) (jetstream.KeyValue, error) {
	cfg, err := BucketConfig(name, 1)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, name) // another process created it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", name, err)
	}
	return kv, nil
}
