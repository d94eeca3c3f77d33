package agent

import (
	"context"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/events"
)

// followLoop folds the host's assignments into the state, then keeps it
// live. A broken follow resumes after the last assignment seen. Being
// declared lost calls for registering again.
func (a *Agent) followLoop(ctx context.Context) {
	var seq uint64
	rerun(ctx, a.log, "follow assignments", func() error {
		return a.bus.Follow(ctx, events.FollowOptions{
			AfterSeq: seq,
			OnCaughtUp: func() {
				a.caughtUpOnce.Do(func() { close(a.caughtUp) })
				a.requestReconcile()
				a.requestRegister()
			},
		}, func(r events.Recorded) error {
			seq = r.Sequence
			if _, lost := r.Event.(events.HostLost); lost {
				a.requestRegister()
			}
			a.apply(r.Event)
			return nil
		})
	})
}

func (a *Agent) apply(e events.Event) {
	a.mu.Lock()
	id, act := a.state.apply(e)
	a.mu.Unlock()
	if act && a.isReady() {
		a.queue.Add(id)
	}
}

// waitForDocker returns once the engine answers, false if ctx ended first.
func (a *Agent) waitForDocker(ctx context.Context) bool {
	return untilOK(ctx, a.log, "docker unavailable", func() error {
		_, err := a.rt.List(ctx, a.cfg.HostID)
		return err
	})
}

func (a *Agent) isReady() bool {
	select {
	case <-a.ready:
		return true
	default:
		return false
	}
}

// rerun calls fn until ctx ends, backing off after each failure. fn
// returning nil while ctx lives is treated like a failure too: the loops
// it runs are meant to last.
func rerun(ctx context.Context, log *slog.Logger, what string, fn func() error) {
	backoff := retryMin
	for {
		begun := time.Now()
		err := fn()
		if ctx.Err() != nil {
			return
		}
		if time.Since(begun) > retryMax {
			backoff = retryMin // it ran a good while: a fresh failure
		}
		log.Warn(what+" failed; retrying", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, retryMax)
	}
}

// untilOK calls fn until it succeeds (true) or ctx ends (false), backing
// off after each failure.
func untilOK(ctx context.Context, log *slog.Logger, what string, fn func() error) bool {
	backoff := retryMin
	for {
		err := fn()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn(what+"; retrying", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, retryMax)
	}
}
