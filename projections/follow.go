package projections

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// idleFetch bounds one wait for the next event when none is pending.
const idleFetch = 5 * time.Second

// follow runs one projector until ctx ends: fetch what is pending (up to
// BatchSize events), apply it in one transaction, ack, repeat. Several
// processes may follow one consumer; each batch goes to one of them.
func (r *Runner) follow(ctx context.Context, f *follower) {
	var cons jetstream.Consumer
	for failures := 0; ctx.Err() == nil; {
		var (
			msgs []jetstream.Msg
			err  error
		)
		if cons == nil {
			cons, err = r.js.Consumer(ctx, events.StreamName, f.p.name)
		}
		if err == nil {
			msgs, err = r.fetch(ctx, cons)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			r.fetchFailed(ctx, f.p.name, failures, err)
			cons = nil
			sleep(ctx, backoff(50*time.Millisecond, failures, time.Second))
			continue
		}
		failures = 0
		if len(msgs) > 0 {
			r.process(ctx, f, msgs)
		}
	}
}

// fetch takes what the consumer has pending, up to BatchSize events, or
// else waits (up to idleFetch) for the next event.
func (r *Runner) fetch(ctx context.Context, cons jetstream.Consumer) ([]jetstream.Msg, error) {
	b, err := cons.FetchNoWait(r.cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	if msgs, err := collect(b); len(msgs) > 0 || err != nil {
		return msgs, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, idleFetch)
	defer cancel()
	if b, err = cons.Fetch(1, jetstream.FetchContext(waitCtx)); err != nil {
		return nil, err
	}
	msgs, err := collect(b)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = nil // idle, or stopping
	}
	return msgs, err
}

func collect(b jetstream.MessageBatch) ([]jetstream.Msg, error) {
	var msgs []jetstream.Msg
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	return msgs, b.Error()
}

// fetchFailed logs a failed fetch and, when the consumer is gone
// (deleted by hand, or by a rebuild elsewhere that has yet to recreate
// it) or is a push consumer again, makes it anew from the checkpoint.
func (r *Runner) fetchFailed(ctx context.Context, name string, failures int, err error) {
	switch {
	case failures == 1:
		r.log.Debug("projection fetch failed", "projector", name, "err", err)
	case failures%20 == 0:
		r.log.Warn("projection fetch keeps failing", "projector", name, "failures", failures, "err", err)
	}
	if failures < 3 {
		return
	}
	info, ierr := consumerInfo(ctx, r.js, name)
	switch {
	case errors.Is(ierr, jetstream.ErrConsumerNotFound):
	case ierr == nil && info.Config.DeliverSubject != "":
	default:
		return
	}
	at, cerr := checkpointOf(ctx, r.db, name)
	if cerr == nil {
		cerr = r.ensureConsumer(ctx, name, at)
	}
	if cerr != nil && ctx.Err() == nil {
		r.log.Warn("projection consumer missing, recreating it failed", "projector", name, "err", cerr)
	}
}
