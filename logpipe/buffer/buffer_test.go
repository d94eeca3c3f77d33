package buffer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/record"
)

func newJS(t *testing.T, srv *natsserver.Server) jetstream.JetStream {
	t.Helper()
	return natstest.JetStream(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
}

func setup(t *testing.T) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	js := newJS(t, natstest.Start(t))
	s, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return js, s
}

func records(app string, n int) []record.Record {
	out := make([]record.Record, n)
	for i := range out {
		out[i] = record.Record{
			ID: record.NewID(), Time: time.Now().UTC(), App: app, Instance: app + "-0a0a0a",
			Stream: record.StreamStdout, Severity: record.SeverityInfo, Message: fmt.Sprintf("%s line %d", app, i),
		}
	}
	return out
}

// publishBatch is how many records publish hands to one Publish call; with
// one subject they are one message.
const publishBatch = 100

func publish(t *testing.T, js jetstream.JetStream, recs []record.Record) {
	t.Helper()
	p, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); i += publishBatch {
		if err := p.Publish(context.Background(), recs[i:min(i+publishBatch, len(recs))]); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, what, cond)
}

// store is an Indexer keeping records by ID and counting deliveries.
type store struct {
	mu         sync.Mutex
	byID       map[string]record.Record
	delivered  map[string]int // successful Index calls per ID
	failing    bool
	failures   int
	block      chan struct{} // when set, calls after blockAfter wait on it (or ctx)
	blockAfter int
	calls      int
}

func newStore() *store {
	return &store{byID: map[string]record.Record{}, delivered: map[string]int{}}
}

func (s *store) Index(ctx context.Context, recs []record.Record) error {
	s.mu.Lock()
	s.calls++
	block := s.block
	if s.calls <= s.blockAfter {
		block = nil
	}
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		s.failures++
		return errors.New("elasticsearch is down")
	}
	for _, r := range recs {
		s.byID[r.ID] = r
		s.delivered[r.ID]++
	}
	return nil
}

// assertOnce checks no record was indexed twice.
func (s *store) assertOnce(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range s.delivered {
		if n != 1 {
			t.Fatalf("record %s indexed %d times", id, n)
		}
	}
}

func (s *store) set(f func(s *store)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *store) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// assertAll checks the store holds exactly want, by ID and content.
func (s *store) assertAll(t *testing.T, want []record.Record) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) != len(want) {
		t.Fatalf("store holds %d records, want %d", len(s.byID), len(want))
	}
	for _, w := range want {
		g, ok := s.byID[w.ID]
		if !ok || g.Message != w.Message || !g.Time.Equal(w.Time) || g.App != w.App {
			t.Fatalf("record %s stored as %+v, want %+v", w.ID, g, w)
		}
	}
}

func runConsumer(t *testing.T, js jetstream.JetStream, idx buffer.Indexer, cfg buffer.ConsumerConfig) (c *buffer.Consumer, stop func()) {
	t.Helper()
	c, err := buffer.NewConsumer(js, idx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("consumer run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

func consumerInfo(t *testing.T, js jetstream.JetStream) *jetstream.ConsumerInfo {
	t.Helper()
	cons, err := js.Consumer(context.Background(), buffer.StreamName, buffer.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}
