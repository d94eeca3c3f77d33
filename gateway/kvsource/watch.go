package kvsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/gateway/routing"
)

// bucket says how one bucket's entries fold into the source's state. Both
// funcs run with s.mu held.
type bucket struct {
	name  string
	reset func()
	apply func(jetstream.KeyValueEntry)
}

var errReconnected = errors.New("nats reconnected")

func (s *Source) endpointsBucket() bucket {
	return bucket{
		name: events.BucketEndpoints,
		reset: func() {
			s.endpoints = map[string]routing.Endpoint{}
			s.gone = map[string]bool{}
		},
		apply: func(e jetstream.KeyValueEntry) {
			if e.Operation() != jetstream.KeyValuePut {
				delete(s.endpoints, e.Key())
				// Remember the app so that losing its last instance
				// answers "no healthy instance", not "no such app".
				s.gone[appOfKey(e.Key())] = true
				return
			}
			ep, err := decode[routing.Endpoint](e)
			if err != nil {
				s.cfg.Logger.Warn("endpoint skipped", "err", err)
				delete(s.endpoints, e.Key())
				return
			}
			if ep.App == "" {
				ep.App = appOfKey(e.Key())
			}
			s.endpoints[e.Key()] = ep
		},
	}
}

func (s *Source) routesBucket() bucket {
	return bucket{
		name:  events.BucketRoutes,
		reset: func() { s.routes = map[string]routing.Route{} },
		apply: func(e jetstream.KeyValueEntry) {
			if e.Operation() != jetstream.KeyValuePut {
				delete(s.routes, e.Key())
				return
			}
			r, err := decode[routing.Route](e)
			if err != nil {
				s.cfg.Logger.Warn("route skipped", "err", err)
				delete(s.routes, e.Key())
				return
			}
			if r.App == "" {
				r.App = e.Key()
			}
			s.routes[e.Key()] = r
		},
	}
}

// watchLoop keeps one bucket watched until ctx ends, starting over after
// any failure or reconnect.
func (s *Source) watchLoop(ctx context.Context, b bucket, update func(*routing.Table)) {
	log := s.cfg.Logger.With("bucket", b.name)
	wait := 100 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		loaded, err := s.watch(ctx, b, update)
		if ctx.Err() != nil {
			return
		}
		if loaded {
			wait, failures = 100*time.Millisecond, 0
		}
		if errors.Is(err, errReconnected) {
			log.Info("re-watching after nats reconnect")
			continue
		}
		// A bucket nobody has created yet, or a long outage, would
		// otherwise log every few seconds.
		level := slog.LevelWarn
		if failures > 0 {
			level = slog.LevelDebug
		}
		failures++
		log.Log(ctx, level, "watch failed, keeping last routes", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, s.cfg.RetryMax)
	}
}

// watch runs one watch of b: it loads the initial values, swaps them in as
// a whole, then applies updates as they come. loaded says whether the
// initial values got through.
func (s *Source) watch(ctx context.Context, b bucket, update func(*routing.Table)) (loaded bool, err error) {
	nc := s.js.Conn()
	reconnects := nc.Stats().Reconnects

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kv, err := s.js.KeyValue(wctx, b.name)
	if err != nil {
		return false, fmt.Errorf("open bucket: %w", err)
	}
	w, err := kv.WatchAll(wctx)
	if err != nil {
		return false, fmt.Errorf("watch bucket: %w", err)
	}
	defer func() {
		// Stopping also deletes the consumer on the server, which waits out
		// the request timeout while NATS is down: don't hold up a re-watch
		// or shutdown on it. Reading until the channel closes frees a
		// delivery blocked on a full channel, so the subscription can close.
		go func() { _ = w.Stop() }()
		go func() {
			for range w.Updates() {
			}
		}()
	}()

	poll := time.NewTicker(s.cfg.ReconnectPoll)
	defer poll.Stop()

	var initial []jetstream.KeyValueEntry
	for {
		select {
		case <-ctx.Done():
			return loaded, nil
		case <-poll.C:
			// The old consumer may be gone or stale after a reconnect
			// (the server may have restarted); a fresh watch resyncs.
			if nc.Stats().Reconnects != reconnects {
				return loaded, errReconnected
			}
			if nc.IsClosed() {
				return loaded, errors.New("nats connection closed")
			}
		case e, ok := <-w.Updates():
			if !ok {
				return loaded, errors.New("watcher closed")
			}
			switch {
			case !loaded && e != nil:
				initial = append(initial, e)
			case !loaded:
				loaded = true
				s.mu.Lock()
				b.reset()
				for _, e := range initial {
					b.apply(e)
				}
				s.ready[b.name] = true
				s.rebuild(update)
				s.mu.Unlock()
				initial = nil
			default:
				s.mu.Lock()
				b.apply(e)
				drain(w, b)
				s.rebuild(update)
				s.mu.Unlock()
			}
		}
	}
}

// drain applies any updates already queued so a burst of changes costs one
// rebuild.
func drain(w jetstream.KeyWatcher, b bucket) {
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return
			}
			b.apply(e)
		default:
			return
		}
	}
}
