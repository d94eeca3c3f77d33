package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
)

// consumerConfig is a hook's durable consumer: only its apps' subjects,
// one event in flight (so per app, and in fact per hook, event N+1 is not
// sent before N was acknowledged), redelivered without limit.
func consumerConfig(h *hooks.Hook, start uint64, ackWait time.Duration) jetstream.ConsumerConfig {
	if start == 0 {
		start = 1
	}
	return jetstream.ConsumerConfig{
		Durable:        h.ConsumerName(),
		Description:    "berth webhook " + h.Name,
		FilterSubjects: hooks.Subjects(h.Spec),
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1,
		MaxAckPending:  1,
	}
}

// initConsumer is the Watermill subscriber's ResourceInitializer: the
// topic is the consumer name. It creates the consumer when missing, so
// the first of several servers creates it and the others find it. A
// replay's consumer starts at the requested event, or earlier if the
// previous consumer had not got that far, so a replay never skips a
// backlog.
func (w *Worker) initConsumer(ctx context.Context, js jetstream.JetStream, topic string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
	h, ok := w.view.byConsumer(topic)
	if !ok {
		return nil, nil, fmt.Errorf("no hook has consumer %s", topic)
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, nil, fmt.Errorf("find stream: %w", err)
	}
	if c, err := stream.Consumer(ctx, topic); err == nil {
		return c, nil, nil
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, nil, fmt.Errorf("consumer %s: %w", topic, err)
	}
	start := h.StartSeq
	if h.PrevConsumer != "" {
		if prev, err := stream.Consumer(ctx, h.PrevConsumer); err == nil {
			if floor := prev.CachedInfo().AckFloor.Stream + 1; floor < start && floor > 1 {
				start = floor
			}
		}
	}
	c, err := stream.CreateConsumer(ctx, consumerConfig(h, start, w.cfg.AckWait))
	if errors.Is(err, jetstream.ErrConsumerExists) {
		c, err = stream.Consumer(ctx, topic)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create consumer %s: %w", topic, err)
	}
	return c, nil, nil
}

// unmarshaler turns an event message into a Watermill message whose UUID
// is the CloudEvents id, keeping where it came from in the metadata.
type unmarshaler struct{}

func (unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	var id struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(msg.Data(), &id) // an undecodable event is skipped by the handler
	m := message.NewMessage(id.ID, msg.Data())
	m.Metadata.Set(mdSubject, msg.Subject())
	if meta, err := msg.Metadata(); err == nil {
		m.Metadata.Set(mdSeq, strconv.FormatUint(meta.Sequence.Stream, 10))
		m.Metadata.Set(mdDelivered, strconv.FormatUint(meta.NumDelivered, 10))
	}
	return m, nil
}

// backoff is the delay before a failed event is redelivered from the
// stream: exponential in the number of deliveries, capped, with ±50%
// jitter so receivers coming back aren't hit by every hook at once.
type backoff struct{ initial, max time.Duration }

func (b backoff) WaitTime(delivered uint64) time.Duration {
	d := b.initial
	for i := uint64(1); i < delivered && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}
