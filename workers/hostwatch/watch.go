package hostwatch

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

var (
	errWatchClosed = errors.New("heartbeat watch closed")
	// errStalled: the watch delivered nothing for a while. Not by itself
	// a disruption (every host may be silent): the watch is started over,
	// and it was one only if the new watch shows heartbeats the old one
	// had not delivered.
	errStalled = errors.New("heartbeat watch delivered nothing")
	// errStartStalled: a new watch did not deliver its initial values.
	errStartStalled = errors.New("heartbeat watch did not start")
)

// watchLoop keeps the heartbeat bucket watched until ctx ends, starting
// over whenever the watch breaks or stalls.
func (w *Worker) watchLoop(ctx context.Context, kv jetstream.KeyValue) {
	wait := 100 * time.Millisecond
	rewatch := false
	for ctx.Err() == nil {
		err := w.watch(ctx, kv, rewatch)
		if ctx.Err() != nil {
			return
		}
		if rewatch = errors.Is(err, errStalled); rewatch {
			wait = 100 * time.Millisecond
			continue
		}
		w.mu.Lock()
		w.obs.disrupted()
		w.mu.Unlock()
		w.cfg.Logger.Warn("heartbeat watch broke; no host is declared lost until it is back and a grace period has passed",
			"err", err, "retry_in", wait, "grace", w.cfg.StartGrace)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// watch folds heartbeats in, each dated by when the bucket stored it (the
// bus's time base). rewatch: the previous watch stalled; if this one's
// initial values hold heartbeats it had not delivered, the judge's view
// was disrupted and the grace period starts again.
func (w *Worker) watch(ctx context.Context, kv jetstream.KeyValue, rewatch bool) error {
	watcher, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer func() { _ = watcher.Stop() }()
	stall := time.NewTimer(w.cfg.Stall)
	defer stall.Stop()
	initial, missed := true, false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stall.C:
			if initial {
				return errStartStalled
			}
			return errStalled
		case e, open := <-watcher.Updates():
			if !open {
				return errWatchClosed
			}
			stall.Reset(w.cfg.Stall)
			now := w.now()
			w.mu.Lock()
			if e == nil {
				initial = false
				if rewatch && missed {
					w.obs.disrupted()
					w.cfg.Logger.Warn("the heartbeat watch had stalled and missed heartbeats; no host is declared lost until a grace period has passed",
						"grace", w.cfg.StartGrace)
				}
				w.obs.resumed(now)
			} else if w.obs.beat(e.Key(), e.Created(), e.Revision(), now) && initial {
				missed = true
			}
			w.mu.Unlock()
		}
	}
}
