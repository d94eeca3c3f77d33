package assign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
)

// EventLog is what the assigner reads.
type EventLog interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
}

// Worker copies host-related events to the assignment stream. Two copies
// are safe: each publish expects the assignment stream's last sequence,
// and the loser of a race resumes after what the winner copied.
type Worker struct {
	log    EventLog
	js     jetstream.JetStream
	logger *slog.Logger
}

// New returns an assigner; the assignment stream must exist
// (hostbus.EnsureStreams).
func New(log EventLog, js jetstream.JetStream, logger *slog.Logger) (*Worker, error) {
	if log == nil || js == nil {
		return nil, errors.New("assign: event log and jetstream are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Worker{log: log, js: js, logger: logger}, nil
}

// Run copies until ctx ends, restarting after failures and lost races.
func (w *Worker) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := w.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRace) {
			backoff = 100 * time.Millisecond
		} else {
			w.logger.Warn("assigner failed; retrying", "err", err, "after", backoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

var errRace = errors.New("another assigner copied first")

func (w *Worker) runOnce(ctx context.Context) error {
	last, from, err := w.tail(ctx)
	if err != nil {
		return err
	}
	return w.log.Follow(ctx, events.AllSubjects, events.FollowOptions{AfterSeq: from}, func(r events.Recorded) error {
		host, ok := HostOf(r.Event)
		if !ok {
			return nil
		}
		seq, err := w.publish(ctx, host, r, last)
		if err != nil {
			return err
		}
		last = seq
		return nil
	})
}

// tail is the assignment stream's last sequence and the event sequence
// its last message copies.
func (w *Worker) tail(ctx context.Context) (last, source uint64, err error) {
	s, err := w.js.Stream(ctx, hostbus.AssignStream)
	if err != nil {
		return 0, 0, fmt.Errorf("assignment stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("assignment stream info: %w", err)
	}
	if info.State.LastSeq == 0 {
		return 0, 0, nil
	}
	msg, err := s.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		return 0, 0, fmt.Errorf("last assignment: %w", err)
	}
	source, err = strconv.ParseUint(msg.Header.Get(hostbus.SourceSeqHeader), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("last assignment %d: bad %s header: %w", info.State.LastSeq, hostbus.SourceSeqHeader, err)
	}
	return info.State.LastSeq, source, nil
}

func (w *Worker) publish(ctx context.Context, host string, r events.Recorded, last uint64) (uint64, error) {
	body, err := json.Marshal(r.Envelope)
	if err != nil {
		return 0, fmt.Errorf("encode assignment: %w", err)
	}
	agg, kind := r.Event.Aggregate(), r.Event.Kind()
	m := nats.NewMsg(hostbus.AssignSubject(host, agg.Subject(kind)))
	m.Data = body
	m.Header.Set("Content-Type", events.ContentType)
	m.Header.Set(hostbus.SourceSeqHeader, strconv.FormatUint(r.Sequence, 10))
	m.Header.Set(jetstream.MsgIDHeader, r.ID)
	ack, err := w.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequence(last))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return 0, errRace
	}
	if err != nil {
		return 0, fmt.Errorf("copy event %d to %s: %w", r.Sequence, m.Subject, err)
	}
	return ack.Sequence, nil
}
