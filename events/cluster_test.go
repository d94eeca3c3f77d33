package events_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

func clusterStore(t *testing.T, c *natstest.Cluster, retryFor ...time.Duration) *events.Store {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := events.StoreConfig{Replicas: 3, Source: "test"}
	if len(retryFor) > 0 {
		cfg.RetryFor = retryFor[0]
	}
	var st *events.Store
	natstest.Retry(t, time.Minute, "open the replicated event stream", func() (err error) {
		st, err = events.OpenStore(context.Background(), js, cfg)
		return err
	})
	c.WaitStreamLeader(events.StreamName)
	return st
}

func scaled(n int) []events.Event { return []events.Event{events.AppScaled{App: "web", Replicas: n}} }

// Killing the event stream's leader: an append issued right after is
// retried through the election and stored, once, and a retry of an
// append with the same key is a duplicate.
func TestAppendRidesThroughStreamLeaderKill(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	// What is asserted is that reads and appends ride through an election,
	// not how fast one is: on a loaded machine it can take longer than the
	// default 5 s window, so the window here is generous.
	st := clusterStore(t, c, 30*time.Second)
	ctx := context.Background()
	if _, err := st.Append(ctx, events.App("web"), 0, scaled(1), events.AppendOptions{IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		c.Kill(c.WaitStreamLeader(events.StreamName))
		_, last, err := st.Load(ctx, events.App("web"), 0)
		if err != nil {
			t.Fatalf("round %d: load after the leader's death: %v", round, err)
		}
		key := []string{"k2", "k3"}[round]
		ap, err := st.Append(ctx, events.App("web"), last, scaled(2+round), events.AppendOptions{IdempotencyKey: key})
		if err != nil {
			t.Fatalf("round %d: append after the leader's death: %v", round, err)
		}
		again, err := st.Append(ctx, events.App("web"), last, scaled(2+round), events.AppendOptions{IdempotencyKey: key})
		if err != nil || !again.Duplicate || again.Seq != ap.Seq {
			t.Fatalf("round %d: same key again: %+v, %v; want a duplicate of %d", round, again, err, ap.Seq)
		}
		for i := range 3 {
			c.Restart(i)
		}
		c.WaitStreamCurrent(events.StreamName)
	}
	recs, _, err := st.Load(ctx, events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d events, want 3 (one per key)", len(recs))
	}
}

// Two of three nodes down: reads and writes fail with ErrUnavailable
// (after the retry window, not hanging), the stream is not writable; with
// the nodes back, writes succeed again.
func TestQuorumLossIsUnavailable(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	st := clusterStore(t, c)
	ctx := context.Background()
	if _, err := st.Append(ctx, events.App("web"), 0, scaled(1), events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Writable(ctx); err != nil {
		t.Fatalf("writable with every node up: %v", err)
	}
	c.Kill(1)
	c.Kill(2)
	// The leader may answer for a while before it finds its quorum gone.
	natstest.Eventually(t, time.Minute, "not writable without quorum", func() bool {
		return errors.Is(st.Writable(ctx), events.ErrUnavailable)
	})
	_, err := st.Append(ctx, events.App("web"), events.ExpectAny, scaled(2), events.AppendOptions{IdempotencyKey: "q1"})
	if !errors.Is(err, events.ErrUnavailable) && !errors.Is(err, events.ErrOutcomeUnknown) {
		t.Fatalf("append without quorum: %v, want ErrUnavailable or ErrOutcomeUnknown", err)
	}
	if _, _, err := st.Load(ctx, events.App("web"), 0); !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("load without quorum: %v, want ErrUnavailable", err)
	}
	// The event stream over HTTP says so instead of streaming nothing: as
	// a 503, or, if its first read still got through, an error event.
	rec := httptest.NewRecorder()
	st.StreamHandler(events.StreamConfig{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/events/stream", nil))
	if (rec.Code != http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), "event: error\n")) ||
		!strings.Contains(rec.Body.String(), `"event store unavailable (no quorum): try again"`) {
		t.Fatalf("event stream without quorum: %d %s", rec.Code, rec.Body)
	}

	c.Restart(1)
	c.Restart(2)
	c.WaitStreamCurrent(events.StreamName)
	// Converges: the retry with the same key stores it at most once (more
	// retries may be needed while the restarted nodes settle).
	var recs []events.Recorded
	natstest.Poll(t, time.Minute, 500*time.Millisecond, "append and load with quorum back", func() bool {
		_, err := st.Append(ctx, events.App("web"), events.ExpectAny, scaled(2), events.AppendOptions{IdempotencyKey: "q1"})
		if err == nil {
			recs, _, err = st.Load(ctx, events.App("web"), 0)
		}
		if err != nil {
			t.Logf("with quorum back: %v", err)
		}
		return err == nil
	})
	if len(recs) != 2 {
		t.Fatalf("%d events, want 2", len(recs))
	}
}
