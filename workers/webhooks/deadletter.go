package webhooks

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/berth-dev/berth/events"
)

// deadLetterTopic names the poison queue; the publisher below stores it
// in Postgres rather than on a bus, next to the attempts it ends.
const deadLetterTopic = "berth_hook_dead_letters"

// deadLetters is the Watermill publisher behind the poison-queue
// middleware: each poisoned message becomes a dead-letter row in
// hook_deliveries, where `berth hooks deliveries` shows it and from where
// `berth hooks replay` (a rewind of the hook's consumer) sends it again.
type deadLetters struct{ rec *recorder }

var _ message.Publisher = deadLetters{}

// Publish stores every message as a dead letter.
func (d deadLetters) Publish(topic string, msgs ...*message.Message) error {
	if topic != deadLetterTopic {
		return fmt.Errorf("dead letters: unexpected topic %q", topic)
	}
	var errs []error
	for _, m := range msgs {
		env, _, err := events.Decode(m.Payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("dead letter %s: %w", m.UUID, err))
			continue
		}
		seq, _ := strconv.ParseUint(m.Metadata.Get(mdSeq), 10, 64)
		n, _ := strconv.Atoi(m.Metadata.Get(mdDelivered))
		rec := record{hook: m.Metadata.Get(mdHook), eventID: env.ID, seq: seq, eventType: env.Type,
			subject: env.Subject, attempt: n, a: lastAttempt(m)}
		ctx := m.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		if err := d.rec.dead(ctx, rec, m.Metadata.Get(middleware.ReasonForPoisonedKey)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close has nothing to release.
func (deadLetters) Close() error { return nil }

// Metadata keys carrying the final attempt to the dead-letter publisher
// (the poison middleware passes the message, not the error).
const (
	mdLastStatus   = "berth_last_status"
	mdLastLatency  = "berth_last_latency_ms"
	mdLastResponse = "berth_last_response"
)

func keepLastAttempt(m *message.Message, a attempt) {
	m.Metadata.Set(mdLastStatus, strconv.Itoa(a.status))
	m.Metadata.Set(mdLastLatency, strconv.FormatFloat(a.latency, 'f', 3, 64))
	m.Metadata.Set(mdLastResponse, a.response)
}

func lastAttempt(m *message.Message) attempt {
	status, _ := strconv.Atoi(m.Metadata.Get(mdLastStatus))
	latency, _ := strconv.ParseFloat(m.Metadata.Get(mdLastLatency), 64)
	return attempt{status: status, latency: latency, response: m.Metadata.Get(mdLastResponse)}
}
