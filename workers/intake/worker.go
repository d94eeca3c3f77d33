package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
)

// EventLog is what the intake reads and appends to.
type EventLog interface {
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// Worker takes claims off the fact stream one at a time (one durable
// consumer shared by every server, one message in flight, so an agent's
// facts keep their order) and appends those that check out.
type Worker struct {
	log      EventLog
	js       jetstream.JetStream
	logger   *slog.Logger
	rejected atomic.Int64
}

// New returns an intake; the fact stream must exist (hostbus.EnsureStreams).
func New(log EventLog, js jetstream.JetStream, logger *slog.Logger) (*Worker, error) {
	if log == nil || js == nil {
		return nil, errors.New("intake: event log and jetstream are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Worker{log: log, js: js, logger: logger}, nil
}

// Rejected counts the claims this worker refused since it started.
func (w *Worker) Rejected() int64 { return w.rejected.Load() }

// Run consumes claims until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := w.consume(ctx)
		if ctx.Err() != nil {
			return nil
		}
		w.logger.Warn("fact intake failed; retrying", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (w *Worker) consume(ctx context.Context) error {
	cons, err := w.js.CreateOrUpdateConsumer(ctx, hostbus.FactStream, jetstream.ConsumerConfig{
		Durable:       hostbus.IntakeConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1,
		FilterSubject: hostbus.FactPrefix + ".>",
	})
	if err != nil {
		return fmt.Errorf("intake consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("intake messages: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return fmt.Errorf("next claim: %w", err)
		}
		err = w.handle(ctx, msg)
		switch {
		case errors.Is(err, ErrRejected):
			w.rejected.Add(1)
			w.logger.Warn("agent claim ignored", "subject", msg.Subject(), "err", err)
			_ = msg.Term()
		case err != nil:
			w.logger.Warn("agent claim not appended yet", "subject", msg.Subject(), "err", err)
			_ = msg.NakWithDelay(time.Second)
		default:
			_ = msg.Ack()
		}
	}
}

// handle checks one claim and appends it. ErrRejected for a false claim;
// other errors are worth retrying.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) error {
	host, subject, ok := hostbus.ParseFactSubject(msg.Subject())
	if !ok {
		return reject("subject %s is not a fact subject", msg.Subject())
	}
	env, e, err := events.Decode(msg.Data())
	if err != nil {
		return reject("%v", err)
	}
	c := Claim{Host: host, Subject: subject, Event: e}
	source := "agent/" + host // from the credential, not the payload
	if reg, ok := e.(events.HostRegistered); ok {
		if err := Check(c, ""); err != nil {
			return err
		}
		return w.register(ctx, reg, source)
	}
	var assigned string
	if id := instanceOf(e); id != "" {
		hist, _, err := w.log.Load(ctx, e.Aggregate(), 0)
		if err != nil {
			return fmt.Errorf("load %s: %w", e.Aggregate().ID, err)
		}
		assigned = AssignedHost(hist, id)
	}
	if err := Check(c, assigned); err != nil {
		return err
	}
	_, err = w.log.Append(ctx, e.Aggregate(), events.ExpectAny, []events.Event{e},
		events.AppendOptions{IdempotencyKey: env.IdempotencyKey, Source: source})
	return err
}

// register appends the registration if the host's history calls for it,
// against the host's last sequence so a concurrent HostLost is not
// overlooked.
func (w *Worker) register(ctx context.Context, want events.HostRegistered, source string) error {
	agg := events.Host(want.Host)
	for range 5 {
		hist, last, err := w.log.Load(ctx, agg, 0)
		if err != nil {
			return fmt.Errorf("load host %s: %w", want.Host, err)
		}
		if !NeedsRegistration(hist, want) {
			return nil
		}
		_, err = w.log.Append(ctx, agg, last, []events.Event{want}, events.AppendOptions{Source: source})
		if errors.Is(err, events.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("append host registered: %w", err)
		}
		w.logger.Info("host registered", "host", want.Host, "addr", want.Addr, "zone", want.Zone)
		return nil
	}
	return errors.New("register host: history kept changing")
}
