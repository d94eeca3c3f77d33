package health

import (
	"context"
	"time"

	"github.com/berth-dev/berth/workers/clusterview"
)

// firstProbeDelay is how soon a starting instance is probed again: a
// process needs a moment to listen after its container starts, and waiting
// a whole interval for the second try would add seconds to every deploy.
const firstProbeDelay = 50 * time.Millisecond

// probeLoop probes one instance every interval, first at once, and acts on
// the results until ctx ends. Until the instance is registered it probes
// on a fast, growing schedule capped at the interval.
func (w *Worker) probeLoop(ctx context.Context, t Target, tr *Tracker) {
	log := w.cfg.Logger.With("app", t.App, "instance", t.Instance, "check", t.URL())
	timer := time.NewTimer(0)
	defer timer.Stop()
	fast := firstProbeDelay
	for {
		res, ok := w.probe(ctx, t)
		if !ok {
			return
		}
		act, reason := tr.Observe(Observation{Result: res, Registered: w.registered(t), Now: w.now()})
		switch act {
		case Register:
			r, err := w.exec.Execute(ctx, t.App, "", register(t))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("register endpoint failed; retrying on the next pass", "err", err)
			case len(r.Events) > 0:
				log.Info("endpoint registered", "addr", t.Addr)
			}
		case Fail:
			r, err := w.exec.Execute(ctx, t.App, "", fail(t, reason))
			switch {
			case err != nil && ctx.Err() == nil:
				tr.Retry()
				log.Warn("health fail failed; retrying on the next failed check", "err", err)
			case len(r.Events) > 0:
				log.Info("instance health failed", "reason", reason)
			}
		}
		next := t.Interval
		if act != Register && !w.registered(t) {
			next = min(fast, t.Interval)
			fast = fast * 3 / 2
		}
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// probe runs one check within the worker-wide bound; false when ctx ended.
func (w *Worker) probe(ctx context.Context, t Target) (Result, bool) {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, false
	}
	res := probe(ctx, w.cfg.Client, t.URL(), t.Timeout)
	<-w.sem
	return res, ctx.Err() == nil
}

// registered reports whether the view has the instance as an endpoint.
func (w *Worker) registered(t Target) bool {
	var on bool
	w.view.Read(func(v *clusterview.View) {
		if app, ok := v.Apps[t.App]; ok {
			on = app.Instances[t.Instance].Registered
		}
	})
	return on
}
