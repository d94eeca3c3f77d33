package service

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// group runs long-lived components, restarting one that fails with
// backoff instead of taking the process down, and waits for all on stop.
type group struct {
	wg sync.WaitGroup
}

// Go runs fn until ctx ends. A failure is logged and fn restarts after a
// backoff that grows to 30s and resets once fn has run for a minute.
func (g *group) Go(ctx context.Context, name string, fn func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		backoff := 500 * time.Millisecond
		for ctx.Err() == nil {
			started := time.Now()
			err := fn(ctx)
			if ctx.Err() != nil {
				return
			}
			if time.Since(started) > time.Minute {
				backoff = 500 * time.Millisecond
			}
			slog.Error("component stopped; restarting", "component", name, "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
	}()
}

// Wait blocks until every component has returned.
func (g *group) Wait() { g.wg.Wait() }
