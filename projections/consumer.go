package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// consumerConfig is the durable pull consumer behind one projector:
// explicit acks, never given up on (poison events are skipped by us, with
// a record). Several batches may be in flight (this process's and another
// server's); projection_advance keeps them in order. startAfter is where
// a new consumer begins: the projector's checkpoint.
func consumerConfig(name string, ackWait time.Duration, batch int, startAfter uint64) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "Berth projection " + name + " (checkpoint kept in Postgres)",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		// Room for two servers' batches plus a few held back by a gap.
		MaxAckPending: 4 * batch,
		FilterSubject: events.AllSubjects,
		ReplayPolicy:  jetstream.ReplayInstantPolicy,
	}
	if startAfter > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = startAfter + 1
	}
	return cfg
}

// ensureConsumer creates the projector's consumer, or brings an existing
// one's settings up to date while keeping its position.
func (r *Runner) ensureConsumer(ctx context.Context, name string, checkpoint uint64) error {
	want := consumerConfig(name, r.cfg.AckWait, r.cfg.BatchSize, checkpoint)
	info, err := consumerInfo(ctx, r.js, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		_, cerr := r.js.CreateConsumer(ctx, events.StreamName, want)
		switch {
		case cerr == nil:
			return nil
		case !errors.Is(cerr, jetstream.ErrConsumerExists):
			return fmt.Errorf("create consumer %s: %w", name, cerr)
		}
		// Another server created it a moment ago, from its own reading
		// of the checkpoint: take it as found.
		info, err = consumerInfo(ctx, r.js, name)
	}
	if err != nil {
		return err
	}
	switch {
	case info.Config.DeliverSubject != "":
		// The push consumer of releases that delivered one event at a time
		// through Watermill: a consumer can't change kind, so it is
		// replaced, from the checkpoint.
		r.log.Info("projection consumer replaced by a pull consumer", "projector", name, "from", checkpoint+1)
		return resetConsumer(ctx, r.js, want)
	case info.NumAckPending > 0 && info.NumWaiting == 0, info.AckFloor.Stream > checkpoint:
		// A process that stopped or crashed took unacked events with it
		// (later ones would hit the gap until AckWait expires), or a
		// Postgres crash lost commits that were already acked. The
		// checkpoint is the real position, so start over from there.
		return resetConsumer(ctx, r.js, want)
	}
	want.DeliverPolicy, want.OptStartSeq, want.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartSeq, info.Config.OptStartTime
	if _, err := r.js.UpdateConsumer(ctx, events.StreamName, want); err != nil {
		return fmt.Errorf("update consumer %s: %w", name, err)
	}
	return nil
}

// consumerInfo reads a consumer of either kind: push ones are what
// ensureConsumer replaces.
func consumerInfo(ctx context.Context, js jetstream.JetStream, name string) (*jetstream.ConsumerInfo, error) {
	c, err := js.Consumer(ctx, events.StreamName, name)
	if errors.Is(err, jetstream.ErrNotPullConsumer) {
		var pc jetstream.PushConsumer
		if pc, err = js.PushConsumer(ctx, events.StreamName, name); err == nil {
			return pc.CachedInfo(), nil
		}
	}
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

// resetConsumer deletes the projector's consumer and creates it anew
// with cfg. Pull requests name the consumer, so fetches carry on; what
// was in flight from the old one comes again from the new one.
func resetConsumer(ctx context.Context, js jetstream.JetStream, cfg jetstream.ConsumerConfig) error {
	if err := deleteConsumer(ctx, js, cfg.Durable); err != nil {
		return err
	}
	if _, err := js.CreateConsumer(ctx, events.StreamName, cfg); err != nil {
		return fmt.Errorf("recreate consumer %s at %d: %w", cfg.Durable, cfg.OptStartSeq, err)
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
// one, so it fails with errGap and the event waits or the consumer is
// reset instead.
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
