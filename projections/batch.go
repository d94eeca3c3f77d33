package projections

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// follower is one projector's loop state in one run.
type follower struct {
	p    projector
	prog *progress
	// gapSince is when the projector first found its batch past a hole
	// that hasn't been filled since (zero when none); gaps counts the
	// times since.
	gapSince time.Time
	gaps     int
	// acked is the last event whose ack was sent, which stopping waits
	// for JetStream to have (settle).
	acked uint64
}

// process applies one fetched batch: one transaction, then the acks.
// Transient failures are retried here, holding the batch, so events
// stay in order; on a gap the batch waits its turn (gap).
func (r *Runner) process(ctx context.Context, f *follower, msgs []jetstream.Msg) {
	items, msgs := itemsOf(f.p, msgs, r.log)
	for attempt := 1; len(items) > 0; attempt++ {
		n, err := r.commitBatch(ctx, f.p.name, items)
		if n > 0 {
			if !r.settled(ctx, f, items[:n], msgs[:n]) {
				r.nak(ctx, msgs[n:], 0)
				return
			}
			items, msgs = items[n:], msgs[n:]
			f.gapSince, f.gaps = time.Time{}, 0
		}
		var gap *gapError
		switch {
		case err == nil:
			if attempt > 1 {
				r.log.Info("projection batch succeeded after retries", "projector", f.p.name, "attempts", attempt)
			}
			return
		case errors.As(err, &gap):
			if !r.gap(ctx, f, gap, msgs) {
				return
			}
			continue // filled meanwhile: try again now
		case ctx.Err() != nil:
			r.nak(ctx, msgs, 0)
			return
		}
		// Once as an error with its cause (Postgres down, say), then quietly.
		if attempt == 1 {
			r.log.Error("projection batch failed, retrying quietly", "projector", f.p.name, "seq", items[0].d.seq, "events", len(items), "err", err)
		} else {
			r.log.Debug("projection batch failed again", "projector", f.p.name, "attempt", attempt, "err", err)
		}
		// Keep the batch: nacking it would let later events through,
		// which then only wait at the gap.
		for _, m := range msgs {
			_ = m.InProgress()
		}
		if !sleep(ctx, backoff(100*time.Millisecond, attempt, r.cfg.AckWait/2)) {
			r.nak(ctx, msgs, 0)
			return
		}
	}
}

// commitBatch runs commit with a context that outlives a graceful stop,
// so a fetched batch is finished and acked rather than redelivered; a
// crash (tests) cuts it off like a killed process.
func (r *Runner) commitBatch(ctx context.Context, name string, items []item) (int, error) {
	dbCtx := ctx
	if !r.crashOnStop {
		dbCtx = context.WithoutCancel(ctx)
	}
	dbCtx, cancel := context.WithTimeout(dbCtx, r.cfg.AckWait)
	defer cancel()
	return r.cp.commit(dbCtx, name, items)
}

// settled acknowledges events whose commit is visible (or that were
// applied before) and logs the skips among them. It reports false when
// the batch must go no further (a test's afterCommit failed or crashed).
func (r *Runner) settled(ctx context.Context, f *follower, items []item, msgs []jetstream.Msg) bool {
	for _, it := range items {
		switch {
		case !it.applied || it.skip == "":
		case it.poison:
			r.log.Error("projection skipped poison event", "projector", f.p.name, "seq", it.d.seq, "subject", it.d.subject, "reason", it.skip)
		default:
			r.log.Warn("projection skipped undecodable event", "projector", f.p.name, "seq", it.d.seq, "subject", it.d.subject, "err", it.skip)
		}
	}
	f.prog.advance(f.p.name, items[len(items)-1].d.seq)
	if r.afterCommit != nil {
		for _, it := range items {
			if err := r.afterCommit(f.p.name, it.d.seq); err != nil {
				r.nak(ctx, msgs, 0) // redelivered, and turned away as applied
				return false
			}
		}
		if r.crashOnStop && ctx.Err() != nil {
			return false // died between commit and ack
		}
	}
	// Acks don't wait for JetStream's confirmation: a lost one costs a
	// redelivery that projection_advance turns away.
	for _, m := range msgs {
		_ = m.Ack()
	}
	f.acked = max(f.acked, items[len(items)-1].d.seq)
	return true
}

// nak hands msgs back for redelivery after delay; a crashed process
// (tests) leaves them to expire instead.
func (r *Runner) nak(ctx context.Context, msgs []jetstream.Msg, delay time.Duration) {
	if r.crashOnStop && ctx.Err() != nil {
		return
	}
	for _, m := range msgs {
		_ = m.NakWithDelay(delay)
	}
}

// gap handles a batch whose first event lies past a hole at the
// checkpoint. Usually another batch holds the hole's events: another
// server's, or this projector's own that was handed back. Then this one
// waits its turn: handed back with a short delay, or retried at once
// (true) if the hole filled meanwhile. But if the consumer's ack floor is
// past the checkpoint (a database crash lost acked commits), or the hole
// stays for longer than AckWait (whatever held it would have expired),
// the consumer is ahead of the checkpoint: it is reset there, and the
// batch is dropped (it belonged to the old consumer).
func (r *Runner) gap(ctx context.Context, f *follower, g *gapError, msgs []jetstream.Msg) bool {
	if f.gapSince.IsZero() {
		f.gapSince = time.Now()
	}
	f.gaps++
	// The floor first: an event is acked only after its commit is
	// visible, so a checkpoint read afterwards is at or past the floor
	// unless the commit was lost.
	floor, ferr := ackFloor(ctx, r.js, f.p.name)
	at, cerr := checkpointOf(ctx, r.db, f.p.name)
	switch {
	case ferr != nil || cerr != nil:
	case floor > at || time.Since(f.gapSince) > r.cfg.AckWait:
		f.gapSince, f.gaps = time.Time{}, 0
		if err := r.resync(ctx, f.p.name); err != nil && ctx.Err() == nil {
			r.log.Warn("projection consumer reset failed", "projector", f.p.name, "err", err)
			break
		}
		return false
	case at > g.at:
		return true
	}
	wait := backoff(10*time.Millisecond, f.gaps, r.cfg.AckWait/4)
	r.nak(ctx, msgs, wait)
	sleep(ctx, wait)
	return false
}

// backoff is the wait before the nth retry: base doubling, at most most.
func backoff(base time.Duration, n int, most time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
