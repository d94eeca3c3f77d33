package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// FirstSeqSince is the stream sequence of the first event stored at or
// after t, or the next sequence to be written when there is none.
func FirstSeqSince(ctx context.Context, js jetstream.JetStream, t time.Time) (uint64, error) {
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return 0, fmt.Errorf("find stream %s: %w", events.StreamName, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	next := info.State.LastSeq + 1
	if !info.State.LastTime.IsZero() && info.State.LastTime.Before(t) {
		return next, nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &t,
	})
	if err != nil {
		return 0, fmt.Errorf("consumer from %s: %w", t.Format(time.RFC3339), err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
	if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return next, nil
	}
	if err != nil {
		return 0, fmt.Errorf("first event since %s: %w", t.Format(time.RFC3339), err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	return meta.Sequence.Stream, nil
}
