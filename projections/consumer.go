package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// consumerConfig is the durable push consumer behind one projector:
// explicit acks, one event in flight (so delivery stays in stream order),
// never given up on (poison events are skipped by us, with a record).
// startAfter is where a new consumer begins: the projector's checkpoint.
func consumerConfig(name string, ackWait time.Duration, startAfter uint64) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:        name,
		Description:    "Berth projection " + name + " (checkpoint kept in Postgres)",
		DeliverSubject: DeliverSubjectPrefix + name,
		DeliverGroup:   name,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1,
		MaxAckPending:  1,
		FilterSubject:  events.AllSubjects,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
	}
	if startAfter > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = startAfter + 1
	}
	return cfg
}

// ensureConsumer creates the projector's consumer, or brings an existing
// one's settings up to date while keeping its position.
func ensureConsumer(ctx context.Context, js jetstream.JetStream, name string, ackWait time.Duration, checkpoint uint64) error {
	want := consumerConfig(name, ackWait, checkpoint)
	info, err := consumerInfo(ctx, js, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		if _, err := js.CreatePushConsumer(ctx, events.StreamName, want); err != nil {
			return fmt.Errorf("create consumer %s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if info.NumAckPending > 0 && !info.PushBound || info.AckFloor.Stream > checkpoint {
		// A process that stopped or crashed took an unacked event with it
		// (JetStream would hold everything back until AckWait expires), or
		// a Postgres crash lost commits that were already acked. The
		// checkpoint is the real position, so start over from there.
		return resetConsumer(ctx, js, name, ackWait, checkpoint)
	}
	want.DeliverPolicy, want.OptStartSeq, want.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartSeq, info.Config.OptStartTime
	if _, err := js.UpdatePushConsumer(ctx, events.StreamName, want); err != nil {
		return fmt.Errorf("update consumer %s: %w", name, err)
	}
	return nil
}

func consumerInfo(ctx context.Context, js jetstream.JetStream, name string) (*jetstream.ConsumerInfo, error) {
	c, err := js.PushConsumer(ctx, events.StreamName, name)
	if err != nil {
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("look up consumer %s: %w", name, err)
	}
	return c.CachedInfo(), nil
}

// ackFloor is the stream sequence up to which the consumer has every
// event acknowledged.
func ackFloor(ctx context.Context, js jetstream.JetStream, name string) (uint64, error) {
	info, err := consumerInfo(ctx, js, name)
	if err != nil {
		return 0, err
	}
	return info.AckFloor.Stream, nil
}

// resetConsumer deletes the projector's consumer and creates it anew to
// deliver from the event after checkpoint. Subscriptions bound to it keep
// receiving: the new consumer pushes to the same subject and group.
func resetConsumer(ctx context.Context, js jetstream.JetStream, name string, ackWait time.Duration, checkpoint uint64) error {
	if err := deleteConsumer(ctx, js, name); err != nil {
		return err
	}
	if _, err := js.CreatePushConsumer(ctx, events.StreamName, consumerConfig(name, ackWait, checkpoint)); err != nil {
		return fmt.Errorf("recreate consumer %s at %d: %w", name, checkpoint+1, err)
	}
	return nil
}

// deleteConsumer removes the projector's consumer; a missing one is fine.
func deleteConsumer(ctx context.Context, js jetstream.JetStream, name string) error {
	err := js.DeleteConsumer(ctx, events.StreamName, name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("delete consumer %s: %w", name, err)
	}
	return nil
}

// streamHead is the stream's last sequence: RunToEnd's finish line.
func streamHead(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", events.StreamName, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s info: %w", events.StreamName, err)
	}
	return info.State.LastSeq, nil
}

// gapCheck confirms with the stream that no event lies between after and
// seq (they may have aged out of it); otherwise the projector would skip
// one, so it fails with errGap and the event is redelivered instead.
func gapCheck(js jetstream.JetStream) gapChecker {
	return func(ctx context.Context, after, seq uint64) error {
		s, err := js.Stream(ctx, events.StreamName)
		if err != nil {
			return fmt.Errorf("stream %s: %w", events.StreamName, err)
		}
		next, err := s.GetMsg(ctx, after+1, jetstream.WithGetMsgSubject(events.AllSubjects))
		if err != nil {
			return fmt.Errorf("find event after %d: %w", after, err)
		}
		if next.Sequence < seq {
			return fmt.Errorf("event %d: %w", next.Sequence, errGap)
		}
		return nil
	}
}
