package registration

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/workers/clusterview"
)

// sync takes the buckets to the plan, then decides the deregistrations.
// Bucket writes come first: the gateway stops routing to an instance as
// soon as its key is gone, without waiting for the event's round trip.
func (w *Worker) sync(ctx context.Context) {
	var plan Plan
	var gone []Deregistration
	w.view.Read(func(v *clusterview.View) {
		w.mu.Lock()
		defer w.mu.Unlock()
		plan = Compute(v, w.registeredAt, w.now())
		gone, w.gone = w.gone, nil
	})
	ok := w.write(ctx, Diff(plan, w.haveEndpoints, w.haveRoutes))

	pending := map[string]bool{}
	for _, d := range plan.Deregister {
		pending[d.Key()] = true
		if w.decided[d.Key()] {
			continue
		}
		if w.decide(ctx, d, "", deregister(d)) {
			w.decided[d.Key()] = true
		} else {
			ok = false
		}
	}
	for key := range w.decided {
		if !pending[key] {
			delete(w.decided, key)
		}
	}
	for _, d := range gone {
		if !w.decide(ctx, d, goneKey(d.Instance), deregisterStopped(d.App, d.Instance)) {
			w.mu.Lock()
			w.gone = append(w.gone, d)
			w.mu.Unlock()
			ok = false
		}
	}
	if !ok && ctx.Err() == nil {
		time.AfterFunc(retryAfter, w.wake)
	}
}

func (w *Worker) decide(ctx context.Context, d Deregistration, key string, decider commands.Decider) bool {
	res, err := w.exec.Execute(ctx, d.App, key, decider)
	if err != nil {
		if ctx.Err() == nil {
			w.cfg.Logger.Warn("deregister endpoint failed", "app", d.App, "instance", d.Instance, "err", err)
		}
		return false
	}
	if len(res.Events) > 0 {
		w.cfg.Logger.Info("endpoint deregistered", "app", d.App, "instance", d.Instance, "reason", d.Reason)
	}
	return true
}

// write applies ops, keeping the mirrors in step with what was written.
// It reports whether everything was written.
func (w *Worker) write(ctx context.Context, ops Ops) bool {
	ok := true
	fail := func(what, key string, err error) {
		ok = false
		if ctx.Err() == nil {
			w.cfg.Logger.Warn("bucket write failed", "op", what, "key", key, "err", err)
		}
	}
	for _, key := range ops.DeleteEndpoints {
		if err := w.endpoints.Delete(ctx, key); err != nil {
			fail("delete endpoint", key, err)
			continue
		}
		delete(w.haveEndpoints, key)
		w.cfg.Logger.Debug("endpoint removed", "key", key)
	}
	for _, ep := range ops.PutEndpoints {
		if err := put(ctx, w.endpoints, ep.Key(), ep); err != nil {
			fail("put endpoint", ep.Key(), err)
			continue
		}
		w.haveEndpoints[ep.Key()] = ep
		w.cfg.Logger.Debug("endpoint added", "key", ep.Key(), "addr", ep.Addr)
	}
	for _, r := range ops.PutRoutes {
		if err := put(ctx, w.routes, r.App, r); err != nil {
			fail("put route", r.App, err)
			continue
		}
		w.haveRoutes[r.App] = r
	}
	for _, key := range ops.DeleteRoutes {
		if err := w.routes.Delete(ctx, key); err != nil {
			fail("delete route", key, err)
			continue
		}
		delete(w.haveRoutes, key)
	}
	return ok
}

func put(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if _, err := kv.Put(ctx, key, data); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// load replaces the mirrors with the buckets' contents. On failure the
// old mirrors stay; the next resync tries again.
func (w *Worker) load(ctx context.Context) {
	eps, err := readAll[Endpoint](ctx, w.endpoints)
	if err != nil {
		w.cfg.Logger.Warn("read endpoints bucket failed", "err", err)
		return
	}
	routes, err := readAll[Route](ctx, w.routes)
	if err != nil {
		w.cfg.Logger.Warn("read routes bucket failed", "err", err)
		return
	}
	w.haveEndpoints, w.haveRoutes = eps, routes
}

// readAll reads every live value of a bucket. A value that does not
// decode is kept as the zero value, so the plan overwrites or deletes it.
func readAll[T any](ctx context.Context, kv jetstream.KeyValue) (map[string]T, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	watch, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = watch.Stop() }()
	out := map[string]T{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("read %s: %w", kv.Bucket(), ctx.Err())
		case e, open := <-watch.Updates():
			if !open {
				return nil, fmt.Errorf("read %s: watcher closed", kv.Bucket())
			}
			if e == nil {
				return out, nil
			}
			var v T
			if json.Unmarshal(e.Value(), &v) != nil {
				var zero T
				v = zero
			}
			out[e.Key()] = v
		}
	}
}
