package events_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

func bucketJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	return natstest.JetStream(t, natstest.Start(t))
}

// Processes that start before any server (agents, a second scheduler)
// all open a missing bucket at once; one creates it, all get it.
func TestOpenBucketCreatesMissingBucketOnce(t *testing.T) {
	js := bucketJS(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kv, err := events.OpenBucket(ctx, js, events.BucketHeartbeats)
			if err == nil {
				_, err = kv.Put(ctx, "h1", []byte("beat"))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	kv, err := js.KeyValue(ctx, events.BucketHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 1 || st.Values() != 1 {
		t.Fatalf("bucket history %d, values %d; want 1 and 1 (latest beat only)", st.History(), st.Values())
	}
}

// A bucket the server set up is opened as it is: an agent restarting
// never reconfigures it (on a cluster it would undo the replicas).
func TestOpenBucketLeavesTheServersConfiguration(t *testing.T) {
	js := bucketJS(t)
	ctx := context.Background()
	if err := events.EnsureBuckets(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	cfg, err := events.BucketConfig(events.BucketRoutes, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxValueSize = 4096 // an operator's change
	if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := events.OpenBucket(ctx, js, events.BucketRoutes); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "KV_"+events.BucketRoutes)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxMsgSize; got != 4096 {
		t.Fatalf("max value size %d after OpenBucket, want the 4096 set before", got)
	}
}

func TestBucketErrorsNameTheProblem(t *testing.T) {
	js := bucketJS(t)
	ctx := context.Background()
	if _, err := events.OpenBucket(ctx, js, "berth_nope"); err == nil || !strings.Contains(err.Error(), `"berth_nope" is not a Berth bucket`) {
		t.Fatalf("unknown bucket: %v", err)
	}
	// A single server cannot hold three replicas: the error says which
	// bucket could not be made, not just what NATS refused.
	if err := events.EnsureBuckets(ctx, js, 3); err == nil || !strings.Contains(err.Error(), "ensure bucket "+events.BucketEndpoints) {
		t.Fatalf("three replicas on one server: %v", err)
	}
}
