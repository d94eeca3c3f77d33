package projections

import (
	"fmt"
	"time"

	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events"
)

// subscriberConfig binds the subscriber to the projector's consumer, which
// ensureConsumer made: bound, the client neither creates nor deletes it.
// Manual acks let the router ack only after the transaction committed.
func (r *Runner) subscriberConfig(name string) wmnats.SubscriberSubscriptionConfig {
	return wmnats.SubscriberSubscriptionConfig{
		Unmarshaler:      seqUnmarshaler{},
		SubscribersCount: 1,
		AckWaitTimeout:   r.cfg.AckWait,
		CloseTimeout:     r.cfg.AckWait,
		QueueGroupPrefix: name,
		NakDelay:         backoffDelay{max: r.cfg.AckWait / 2},
		JetStream: wmnats.JetStreamConfig{
			// Don't wait for JetStream to confirm each ack: MaxAckPending 1
			// holds the next event back until the ack arrived anyway, and a
			// lost ack only costs a redelivery that projection_advance
			// turns away.
			AckAsync:         true,
			DurablePrefix:    name,
			SubscribeOptions: []nats.SubOpt{nats.Bind(events.StreamName, name), nats.ManualAck()},
		},
	}
}

// dial opens a connection with base's options: Watermill's subscriber
// drains the connection it is given when it closes, so it can't share ours.
func dial(base *nats.Conn, name string) (*nats.Conn, error) {
	opts := base.Opts
	if u := base.ConnectedUrl(); u != "" {
		opts.Url = u
	}
	opts.Name = name
	nc, err := opts.Connect()
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", name, err)
	}
	return nc, nil
}

// backoffDelay spaces redeliveries of an event that keeps failing.
type backoffDelay struct{ max time.Duration }

func (b backoffDelay) WaitTime(delivered uint64) time.Duration {
	d := 100 * time.Millisecond
	for i := uint64(1); i < delivered && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}
