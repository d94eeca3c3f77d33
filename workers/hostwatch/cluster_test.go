package hostwatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/hostwatch"
)

// On a 3-node cluster, each node in turn is killed and restarted while
// three hosts beat (each over its own connection, as agents do) and two
// watchers judge: no beating host is declared lost (before the judge
// measured silence on the bus's clock and noticed its own stalled watch,
// about one run in two declared all three lost). A silent host registered afterwards is, so the watchers
// were judging all along.
func TestLeaderKillsDeclareNoHostLost(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	conn := func() (*events.Store, jetstream.JetStream) {
		js, err := jetstream.New(c.Connect(t))
		if err != nil {
			t.Fatal(err)
		}
		var st *events.Store
		natstest.Retry(t, time.Minute, "open the replicated event stream", func() (err error) {
			st, err = events.OpenStore(context.Background(), js, events.StoreConfig{Replicas: 3, Source: "test"})
			return err
		})
		return st, js
	}
	st, js := conn()
	natstest.Retry(t, time.Minute, "create the replicated buckets", func() error {
		return events.EnsureBuckets(context.Background(), js, 3)
	})
	heartbeats := "KV_" + events.BucketHeartbeats
	c.WaitStreamCurrent(heartbeats)
	c.WaitStreamCurrent(events.StreamName)
	hosts := []string{"h1", "h2", "h3"}
	for _, h := range hosts {
		register(t, st, h)
		_, hjs := conn()
		beatOn(t, hjs, h, true)
	}
	// The default timeout: an election and an agent's reconnection take
	// seconds, whatever the test's pace.
	cfg := hostwatch.Config{Timeout: 10 * time.Second, Check: 100 * time.Millisecond}
	for range 2 {
		wst, wjs := conn()
		supervised(t, wst, wjs, cfg)
	}

	// Every node in turn: among them the leaders of both streams and the
	// server holding the watchers' consumers (when it dies and their
	// connections do not, the watch goes quiet until the client library
	// misses enough idle heartbeats to reset it).
	for node := range 3 {
		c.Kill(node)
		c.WaitStreamLeader(heartbeats)
		c.WaitStreamLeader(events.StreamName)
		c.Restart(node)
		c.WaitStreamCurrent(heartbeats)
		c.WaitStreamCurrent(events.StreamName)
	}

	register(t, st, "h9")
	natstest.Eventually(t, time.Minute, "the silent sentinel lost", func() bool { _, lost := hostEvents(t, st, "h9"); return lost == 1 })
	for _, h := range hosts {
		if _, lost := hostEvents(t, st, h); lost != 0 {
			t.Errorf("%s declared lost while beating", h)
		}
	}
}

// supervised runs a watcher as the server does: restarted when it fails
// (here, when it starts during an election).
func supervised(t *testing.T, st *events.Store, js jetstream.JetStream, cfg hostwatch.Config) {
	t.Helper()
	w, err := hostwatch.New(cfg, st, js)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := w.Run(ctx); err != nil {
				t.Logf("watcher stopped, restarting: %v", err)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}
