package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
)

// LastSequence is the sequence of the last event matching filter, 0 if none.
func (s *Store) LastSequence(ctx context.Context, filter string) (uint64, error) {
	return lastSequence(ctx, s.stream, filter)
}

func lastSequence(ctx context.Context, stream jetstream.Stream, filter string) (uint64, error) {
	msg, err := stream.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last sequence of %s: %w", filter, err)
	}
	return msg.Sequence, nil
}

// Load replays the aggregate's events stored after afterSeq (0 = all) and
// returns them with the aggregate's last sequence, which is the expected
// sequence for the caller's next Append.
func (s *Store) Load(ctx context.Context, agg Aggregate, afterSeq uint64) ([]Recorded, uint64, error) {
	last, err := s.LastSequence(ctx, agg.Filter())
	if err != nil {
		return nil, 0, err
	}
	if last <= afterSeq {
		return nil, last, nil
	}
	var out []Recorded
	err = s.read(ctx, agg.Filter(), afterSeq, func(r Recorded) bool {
		out = append(out, r)
		return r.Sequence < last
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load %s %s: %w", agg.Kind, agg.ID, err)
	}
	return out, last, nil
}

// read delivers decoded events matching filter after afterSeq, in order,
// until fn returns false or ctx ends.
func (s *Store) read(ctx context.Context, filter string, afterSeq uint64, fn func(Recorded) bool) error {
	return readStream(ctx, s.stream, filter, afterSeq, fn)
}

func readStream(ctx context.Context, stream jetstream.Stream, filter string, afterSeq uint64, fn func(Recorded) bool) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
	if afterSeq > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = afterSeq + 1
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", filter, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("iterate %s: %w", filter, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("next on %s: %w", filter, err)
		}
		rec, err := decodeMsg(msg)
		if err != nil {
			// Not ours to interpret: foreign publishers can write into
			// berth.events.>. Skipping keeps readers alive; it is logged.
			slog.Warn("skipping undecodable event", "subject", msg.Subject(), "err", err)
			if meta, merr := msg.Metadata(); merr == nil && !fn(Recorded{Sequence: meta.Sequence.Stream}) {
				return nil
			}
			continue
		}
		if !fn(rec) {
			return nil
		}
	}
}

func decodeMsg(msg jetstream.Msg) (Recorded, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Recorded{}, fmt.Errorf("metadata: %w", err)
	}
	env, e, err := Decode(msg.Data())
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{Envelope: env, Event: e, Sequence: meta.Sequence.Stream}, nil
}

// FollowOptions tune Follow.
type FollowOptions struct {
	// AfterSeq starts after this stream sequence (0 = from the beginning).
	AfterSeq uint64
	// OnCaughtUp is called once, when every event that existed when
	// Follow started has been delivered.
	OnCaughtUp func()
}

// Follow delivers every event matching filter, in order, to fn until ctx
// ends or fn fails. Replay, then live: workers fold it into their state.
// Events whose payload can't be decoded are skipped (Event is nil).
func (s *Store) Follow(ctx context.Context, filter string, opts FollowOptions, fn func(Recorded) error) error {
	return FollowStream(ctx, s.stream, filter, opts, fn)
}

// FollowStream is Follow over any stream of Berth CloudEvents (the
// per-host assignment stream holds copies of events).
func FollowStream(ctx context.Context, stream jetstream.Stream, filter string, opts FollowOptions, fn func(Recorded) error) error {
	head, err := lastSequence(ctx, stream, filter)
	if err != nil {
		return err
	}
	caughtUp := func() {
		if opts.OnCaughtUp != nil {
			opts.OnCaughtUp()
			opts.OnCaughtUp = nil
		}
	}
	if head <= opts.AfterSeq {
		caughtUp()
	}
	var fnErr error
	err = readStream(ctx, stream, filter, opts.AfterSeq, func(r Recorded) bool {
		if r.Event != nil {
			if fnErr = fn(r); fnErr != nil {
				return false
			}
		}
		if r.Sequence >= head {
			caughtUp()
		}
		return true
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}
