package hostwatch

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watchLoop keeps the heartbeat bucket watched until ctx ends, starting
// over (and with it the start grace) whenever the watch breaks.
func (w *Worker) watchLoop(ctx context.Context, kv jetstream.KeyValue) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := w.watch(ctx, kv)
		w.mu.Lock()
		w.watching = time.Time{}
		w.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		w.cfg.Logger.Warn("heartbeat watch broke; no host is declared lost until it is back", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// watch folds heartbeats in. Initial values are dated by when the server
// stored them; live ones by when they arrive, so that clock skew between
// the server and this process only matters across a restart.
func (w *Worker) watch(ctx context.Context, kv jetstream.KeyValue) error {
	watcher, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer func() { _ = watcher.Stop() }()
	initial := true
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, open := <-watcher.Updates():
			if !open {
				return errWatchClosed
			}
			w.mu.Lock()
			switch {
			case e == nil:
				initial = false
				w.watching = w.now()
			case initial:
				if e.Created().After(w.beats[e.Key()]) {
					w.beats[e.Key()] = e.Created()
				}
			default:
				w.beats[e.Key()] = w.now()
			}
			w.mu.Unlock()
		}
	}
}
