package scheduler

import (
	"context"
	"sync"
	"time"
)

// viewLagLimit bounds how long a decision waits for the view to show this
// scheduler's previous decision; past it, it decides anyway.
const viewLagLimit = 10 * time.Second

// waitForView waits until the view has what this scheduler appended last.
// Capacity is only checked against the view: an app decided before the
// view has the instances just placed for another could over-commit a
// host's memory. (Ports are safe either way: they are claimed.)
func (s *Scheduler) waitForView(ctx context.Context) error {
	if s.appended == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, viewLagLimit)
	defer cancel()
	err := s.seen.wait(wctx, s.appended)
	if err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("view lags this scheduler's decisions; deciding anyway", "seq", s.appended)
		return nil
	}
	return err
}

// seqWaiter lets one goroutine wait for the view to reach a sequence.
type seqWaiter struct {
	mu   sync.Mutex
	seq  uint64
	wake chan struct{}
}

func (w *seqWaiter) advance(seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq > w.seq {
		w.seq = seq
	}
	if w.wake != nil {
		close(w.wake)
		w.wake = nil
	}
}

func (w *seqWaiter) wait(ctx context.Context, seq uint64) error {
	for {
		w.mu.Lock()
		if w.seq >= seq {
			w.mu.Unlock()
			return nil
		}
		if w.wake == nil {
			w.wake = make(chan struct{})
		}
		wake := w.wake
		w.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
