package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LastSequence is the sequence of the last event matching filter, 0 if none,
// as the stream's leader has it: decisions are taken on state at least that
// recent, never on a lagging replica's (the stream allows direct reads).
func (s *Store) LastSequence(ctx context.Context, filter string) (uint64, error) {
	var seq uint64
	err := s.retry(ctx, false, func(ctx context.Context) error {
		msg, err := LastFromLeader(ctx, s.js.Conn(), StreamName, filter)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			seq = 0
			return nil
		}
		seq = msg.Sequence
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("last sequence of %s: %w", filter, err)
	}
	return seq, nil
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
	err = s.read(ctx, agg.Filter(), position{after: afterSeq}, func(r Recorded) bool {
		out = append(out, r)
		return r.Sequence < last
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load %s %s: %w", agg.Kind, agg.ID, err)
	}
	return out, last, nil
}

// position is where a read starts and how far it fetches ahead.
type position struct {
	after  uint64
	since  time.Time
	window int
}

// read delivers decoded events matching filter from pos, in order, until
// fn returns false or ctx ends.
func (s *Store) read(ctx context.Context, filter string, pos position, fn func(Recorded) bool) error {
	return readStream(ctx, s.stream, filter, pos, func(ctx context.Context, op func(context.Context) error) error {
		return s.retry(ctx, false, op)
	}, fn)
}

// once runs op once: reads of streams other than the event log are not
// retried.
func once(ctx context.Context, op func(context.Context) error) error { return op(ctx) }

func readStream(ctx context.Context, stream jetstream.Stream, filter string, pos position,
	retry func(context.Context, func(context.Context) error) error, fn func(Recorded) bool) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
	switch {
	case pos.after > 0:
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = pos.after + 1
	case !pos.since.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &pos.since
	}
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) (err error) {
		cons, err = stream.OrderedConsumer(ctx, cfg)
		return err
	})
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", filter, err)
	}
	var opts []jetstream.PullMessagesOpt
	if pos.window > 0 {
		// Each pull is also bounded in bytes (a command body is at most
		// 1 MiB, so any event fits). PullMaxBytes alone would size the
		// client's buffer for a million messages.
		opts = append(opts, jetstream.PullMaxMessagesWithBytesLimit(pos.window, 2<<20))
	}
	it, err := cons.Messages(opts...)
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
	return Recorded{Envelope: env, Event: e, Sequence: meta.Sequence.Stream, Stored: meta.Timestamp}, nil
}

// FollowOptions tune Follow.
type FollowOptions struct {
	// AfterSeq starts after this stream sequence (0 = from the beginning).
	AfterSeq uint64
	// Since, with AfterSeq 0, starts at the first event stored at or
	// after this time.
	Since time.Time
	// Window is how many events are fetched ahead of fn (0: the client
	// library's default of 500), so a reader pages through a long history
	// at a bounded cost.
	Window int
	// OnCaughtUp is called once, when every event that existed when
	// Follow started has been delivered.
	OnCaughtUp func()
}

// Follow delivers every event matching filter, in order, to fn until ctx
// ends or fn fails. Replay, then live: workers fold it into their state.
// Events whose payload can't be decoded are skipped (Event is nil).
func (s *Store) Follow(ctx context.Context, filter string, opts FollowOptions, fn func(Recorded) error) error {
	head, err := s.LastSequence(ctx, filter)
	if err != nil {
		return err
	}
	return follow(ctx, s.stream, filter, head, opts, s.read, fn)
}

// FollowStream is Follow over any stream of Berth CloudEvents (the
// per-host assignment stream holds copies of events).
func FollowStream(ctx context.Context, stream jetstream.Stream, filter string, opts FollowOptions, fn func(Recorded) error) error {
	var head uint64
	msg, err := stream.GetLastMsgForSubject(ctx, filter)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return fmt.Errorf("last sequence of %s: %w", filter, err)
	default:
		head = msg.Sequence
	}
	read := func(ctx context.Context, filter string, pos position, fn func(Recorded) bool) error {
		return readStream(ctx, stream, filter, pos, once, fn)
	}
	return follow(ctx, stream, filter, head, opts, read, fn)
}

func follow(ctx context.Context, stream jetstream.Stream, filter string, head uint64, opts FollowOptions,
	read func(context.Context, string, position, func(Recorded) bool) error, fn func(Recorded) error) error {
	caughtUp := func() {
		if opts.OnCaughtUp != nil {
			opts.OnCaughtUp()
			opts.OnCaughtUp = nil
		}
	}
	if head <= opts.AfterSeq {
		caughtUp()
	}
	if !opts.Since.IsZero() && opts.AfterSeq == 0 && head > 0 {
		if last, err := stream.GetMsg(ctx, head); err == nil && last.Time.Before(opts.Since) {
			caughtUp() // nothing stored since then
		}
	}
	var fnErr error
	err := read(ctx, filter, position{after: opts.AfterSeq, since: opts.Since, window: opts.Window}, func(r Recorded) bool {
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
