package buffer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/logpipe/record"
)

// Tail is a live follow of one app's records.
type Tail struct {
	// C delivers records in buffer order; it is closed when the follow
	// ends, after which Err tells why.
	C <-chan record.Record

	mu  sync.Mutex
	err error
}

// Err is nil when the follow ended because its context did, else the
// failure that ended it. Call it after C is closed.
func (t *Tail) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Follow tails app's records through an ordered consumer, for `berth logs
// -f`: from since (by the time the buffer stored them), or only new records
// when since is zero, until ctx ends.
func Follow(ctx context.Context, js jetstream.JetStream, app string, since time.Time) (*Tail, error) {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{AppFilter(app)},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("follow logs of %q: %w", app, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("follow logs of %q: %w", app, err)
	}
	ch := make(chan record.Record, 64)
	t := &Tail{C: ch}
	go func() {
		defer close(ch)
		defer it.Stop()
		stop := context.AfterFunc(ctx, it.Stop)
		defer stop()
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					t.mu.Lock()
					t.err = fmt.Errorf("follow logs of %q: %w", app, err)
					t.mu.Unlock()
				}
				return
			}
			recs, _ := DecodeMessage(m.Data()) // lines that are not records: the indexer reports them
			for _, r := range recs {
				select {
				case ch <- r:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return t, nil
}
