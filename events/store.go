package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// ExpectAny appends without an optimistic-concurrency check: for facts
// reported by agents and workers, which are true whatever came before.
const ExpectAny uint64 = math.MaxUint64

// StoreConfig configures the event stream.
type StoreConfig struct {
	// Replicas is the stream's replication factor (1 on one machine, 3 on
	// a NATS cluster).
	Replicas int
	// Duplicates is the message-id deduplication window.
	Duplicates time.Duration
	// Source is the CloudEvents source of events this process appends.
	Source string
	// RetryFor bounds how long a read or an append is retried on
	// transient errors (no stream leader: an election takes seconds).
	RetryFor time.Duration
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
}

func (c *StoreConfig) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 5 * time.Minute
	}
	if c.Source == "" {
		c.Source = "berth"
	}
	if c.RetryFor == 0 {
		c.RetryFor = 5 * time.Second
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = 2 * time.Second
	}
}

// Store appends events to and reads them from the BERTH_EVENTS stream.
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	cfg    StoreConfig
	now    func() time.Time
}

// OpenStore creates or updates the event stream and returns a store on it.
// The stream is file-backed: a publish is acknowledged only once stored.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig) (*Store, error) {
	cfg.setDefaults()
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:               StreamName,
		Description:        "Berth domain events (CloudEvents 1.0, JSON)",
		Subjects:           []string{AllSubjects},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Replicas:           cfg.Replicas,
		Duplicates:         cfg.Duplicates,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		DenyDelete:         true,
		DenyPurge:          true,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", StreamName, err)
	}
	return &Store{js: js, stream: stream, cfg: cfg, now: time.Now}, nil
}

// AttachStore returns a store on the existing event stream without
// changing its configuration: for agents and tools, which must not
// override what the server set (replicas, limits).
func AttachStore(ctx context.Context, js jetstream.JetStream, source string) (*Store, error) {
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("find stream %s (is the server running?): %w", StreamName, err)
	}
	cfg := StoreConfig{Source: source}
	cfg.setDefaults()
	return &Store{js: js, stream: stream, cfg: cfg, now: time.Now}, nil
}

// JetStream exposes the underlying context for consumers built elsewhere.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// AppendOptions carry what a command adds to the events it produces.
type AppendOptions struct {
	// IdempotencyKey, when set, is recorded on every event and used as the
	// JetStream message id, so a retried command is stored once.
	IdempotencyKey string
	// Source overrides the store's CloudEvents source.
	Source string
}

// Appended is what Append stored.
type Appended struct {
	// Seq is the stream sequence of the last event; a batch occupies the
	// len(evs) sequences ending there.
	Seq uint64
	// Duplicate: the idempotency key was already stored within the
	// deduplication window; Seq is the original's and nothing was added.
	Duplicate bool
	// Time is the time the events were stamped with.
	Time time.Time
}

// Append stores evs, all of aggregate agg, atomically. expected is the
// sequence of the aggregate's last event the caller decided from (0 for
// "no events yet"), or ExpectAny. ErrConflict when the aggregate moved on.
//
// Transient errors (no stream leader, a lost answer) are retried within
// RetryFor with the same message id, so a retry is stored at most once; a
// batch, which has no message id, is retried only against an expected
// sequence, which a stored first attempt makes fail (ErrConflict). When
// the window is over: ErrUnavailable (nothing stored) or
// ErrOutcomeUnknown (maybe stored).
func (s *Store) Append(ctx context.Context, agg Aggregate, expected uint64, evs []Event, opts AppendOptions) (Appended, error) {
	if len(evs) == 0 {
		return Appended{}, errors.New("append: no events")
	}
	source := opts.Source
	if source == "" {
		source = s.cfg.Source
	}
	msgs := make([]*nats.Msg, len(evs))
	now := s.now()
	for i, e := range evs {
		if e.Aggregate() != agg {
			return Appended{}, fmt.Errorf("append: event %s belongs to %v, not %v", TypeOf(e), e.Aggregate(), agg)
		}
		env, err := Wrap(e, source, opts.IdempotencyKey, now)
		if err != nil {
			return Appended{}, err
		}
		env.Actor = ActorFrom(ctx)
		body, err := json.Marshal(env)
		if err != nil {
			return Appended{}, fmt.Errorf("encode envelope: %w", err)
		}
		m := nats.NewMsg(agg.Subject(e.Kind()))
		m.Data = body
		m.Header.Set("Content-Type", ContentType)
		msgs[i] = m
	}
	if expected != ExpectAny {
		msgs[0].Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(expected, 10))
		msgs[0].Header.Set(expectedLastSubjSeqSubjHeader, agg.Filter())
	}
	if len(msgs) == 1 {
		id := opts.IdempotencyKey
		if id == "" {
			id = nuid.Next()
		}
		msgs[0].Header.Set(jetstream.MsgIDHeader, agg.Filter()+"/"+id)
		var ack *jetstream.PubAck
		err := s.retry(ctx, true, func(ctx context.Context) (err error) {
			ack, err = s.js.PublishMsg(ctx, msgs[0])
			return err
		})
		if err != nil {
			return Appended{}, classify(fmt.Errorf("append %s: %w", TypeOf(evs[0]), err))
		}
		return Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate, Time: now}, nil
	}
	if expected == ExpectAny {
		seq, err := s.appendBatch(ctx, msgs)
		return Appended{Seq: seq, Time: now}, err
	}
	var seq uint64
	err := s.retry(ctx, true, func(ctx context.Context) (err error) {
		seq, err = s.appendBatch(ctx, msgs)
		return err
	})
	return Appended{Seq: seq, Time: now}, err
}

// expectedLastSubjSeqSubjHeader makes the expected-sequence check apply to
// a wildcard (the aggregate's whole subtree) instead of the one subject.
const expectedLastSubjSeqSubjHeader = "Nats-Expected-Last-Subject-Sequence-Subject"

// appendBatch uses JetStream's atomic batch publish: all or none stored.
func (s *Store) appendBatch(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	nc := s.js.Conn()
	id := nuid.Next()
	for i, m := range msgs {
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return 0, fmt.Errorf("append batch: %w", err)
			}
			continue
		}
		m.Header.Set("Nats-Batch-Commit", "1")
		resp, err := nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return 0, fmt.Errorf("append batch commit: %w", err)
		}
		var ack struct {
			Seq   uint64              `json:"seq"`
			Error *jetstream.APIError `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &ack); err != nil {
			return 0, fmt.Errorf("append batch: decode ack: %w", err)
		}
		if ack.Error != nil {
			return 0, classify(fmt.Errorf("append batch: %w", ack.Error))
		}
		return ack.Seq, nil
	}
	return 0, nil
}

// classify maps JetStream's wrong-last-sequence error to ErrConflict.
func classify(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}
