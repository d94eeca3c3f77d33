package relay

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/record"
)

// A relay keeps only lines whose tag names an instance on its own host:
// the agent's instances, or, while the agent catches up after a restart,
// the Berth containers Docker runs here. Junk, malformed lines and lines
// forged for instances that do not exist here are counted and dropped,
// never stored under an app (the enricher would otherwise take the app
// from the instance id's prefix).

// rememberFor keeps an instance attributable after the agent forgot it,
// for the last lines of a container that just stopped.
const rememberFor = 10 * time.Minute

// relistEvery bounds how often Docker is asked about an unknown tag.
const relistEvery = time.Second

type attribution struct {
	instances Instances
	src       Source // nil: the agent's word only

	mu       sync.Mutex
	known    map[string]remembered
	listed   time.Time
	pruned   time.Time
	dropped  atomic.Uint64
	now      func() time.Time
	listLock sync.Mutex
}

type remembered struct {
	app  string
	seen time.Time
}

func newAttribution(instances Instances, src Source) *attribution {
	return &attribution{instances: instances, src: src, known: map[string]remembered{}, now: time.Now}
}

// appOf is the app of an instance on this host.
func (a *attribution) appOf(ctx context.Context, instance string) (string, bool) {
	if instance == "" {
		return "", false
	}
	now := a.now()
	if app, ok := a.instances.AppOf(instance); ok {
		a.remember(instance, app, now)
		return app, true
	}
	if app, ok := a.recall(instance, now); ok {
		return app, true
	}
	if a.src == nil {
		return "", false
	}
	// Recall again whether or not this call listed: a concurrent batch
	// (the live path and the backfill publish at once after a restart)
	// may have just listed and remembered the instance, and then this
	// call's relist is "too soon" but the answer is there.
	a.relist(ctx, now)
	return a.recall(instance, now)
}

func (a *attribution) remember(instance, app string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.known[instance] = remembered{app: app, seen: now}
	if now.Sub(a.pruned) > time.Minute {
		for id, r := range a.known {
			if now.Sub(r.seen) > rememberFor {
				delete(a.known, id)
			}
		}
		a.pruned = now
	}
}

func (a *attribution) recall(instance string, now time.Time) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.known[instance]
	if !ok || now.Sub(r.seen) > rememberFor {
		return "", false
	}
	return r.app, true
}

// relist asks Docker for this host's Berth containers, at most once per
// relistEvery; false when it did not (too soon, or Docker failed).
func (a *attribution) relist(ctx context.Context, now time.Time) bool {
	a.listLock.Lock()
	defer a.listLock.Unlock()
	a.mu.Lock()
	soon := now.Sub(a.listed) < relistEvery
	if !soon {
		a.listed = now
	}
	a.mu.Unlock()
	if soon {
		return false
	}
	list, err := a.src.Running(ctx)
	if err != nil {
		return false
	}
	for _, c := range list {
		if c.Instance != "" && c.App != "" {
			a.remember(c.Instance, c.App, now)
		}
	}
	return true
}

// Wrap filters batches on their way to next.
func (a *attribution) Wrap(next enrich.Publisher) enrich.Publisher {
	return attributed{a: a, next: next}
}

type attributed struct {
	a    *attribution
	next enrich.Publisher
}

func (f attributed) Publish(ctx context.Context, recs []record.Record) error {
	keep := recs[:0]
	for _, r := range recs {
		app, ok := f.a.appOf(ctx, r.Instance)
		if !ok {
			f.a.dropped.Add(1)
			continue
		}
		r.App = app
		keep = append(keep, r)
	}
	if len(keep) == 0 {
		return nil
	}
	return f.next.Publish(ctx, keep)
}
