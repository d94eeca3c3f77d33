package hostwatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// EventStore is what the watcher needs of the event store.
type EventStore interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// KeyValues opens the heartbeat bucket, creating it if missing.
type KeyValues = events.BucketOpener

// hostEvents matches every host event.
var hostEvents = events.SubjectPrefix + "." + string(events.KindHost) + ".>"

// Worker watches heartbeats and declares silent hosts lost. Two watchers
// may run at once: HostLost is appended against the host's last sequence,
// so only one of them stores it.
type Worker struct {
	cfg   Config
	store EventStore
	kvs   KeyValues
	now   func() time.Time

	mu       sync.Mutex
	hosts    map[string]*Host
	beats    map[string]time.Time
	watching time.Time // when the current heartbeat watch delivered its initial values
}

// New returns a watcher over store and the heartbeat bucket in kvs.
func New(cfg Config, store EventStore, kvs KeyValues) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hostwatch config: %w", err)
	}
	if store == nil || kvs == nil {
		return nil, errors.New("hostwatch: event store and key-value store are required")
	}
	return &Worker{cfg: cfg, store: store, kvs: kvs, now: time.Now,
		hosts: map[string]*Host{}, beats: map[string]time.Time{}}, nil
}

// Run watches until ctx ends (then it returns nil) or the event stream
// fails.
func (w *Worker) Run(ctx context.Context) error {
	kv, err := events.OpenBucket(ctx, w.kvs, events.BucketHeartbeats)
	if err != nil {
		return fmt.Errorf("hostwatch: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	ready := make(chan struct{})
	followErr := make(chan error, 1)
	wg.Add(2)
	go func() {
		defer wg.Done()
		followErr <- w.store.Follow(ctx, hostEvents, events.FollowOptions{OnCaughtUp: func() { close(ready) }}, w.apply)
	}()
	go func() {
		defer wg.Done()
		w.watchLoop(ctx, kv)
	}()
	select {
	case <-ready:
	case err := <-followErr:
		return w.exit(ctx, err)
	case <-ctx.Done():
		return nil
	}
	w.cfg.Logger.Info("host watch started", "timeout", w.cfg.Timeout)
	tick := time.NewTicker(w.cfg.Check)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-followErr:
			return w.exit(ctx, err)
		case <-tick.C:
			w.check(ctx)
		}
	}
}

func (w *Worker) exit(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("hostwatch: follow host events: %w", err)
}

// apply folds a host event in.
func (w *Worker) apply(r events.Recorded) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch e := r.Event.(type) {
	case events.HostRegistered:
		h := w.host(e.Host)
		h.Registered, h.Lost = r.Time, false
	case events.HostLost:
		w.host(e.Host).Lost = true
	}
	return nil
}

func (w *Worker) host(id string) *Host {
	h, ok := w.hosts[id]
	if !ok {
		h = &Host{ID: id}
		w.hosts[id] = h
	}
	return h
}

// check declares every stale host lost.
func (w *Worker) check(ctx context.Context) {
	now := w.now()
	w.mu.Lock()
	hosts := make([]Host, 0, len(w.hosts))
	for _, h := range w.hosts {
		c := *h
		c.LastBeat = w.beats[h.ID]
		hosts = append(hosts, c)
	}
	watching := w.watching
	w.mu.Unlock()
	for _, lost := range Stale(hosts, now, watching, w.cfg.Timeout, w.cfg.StartGrace) {
		if err := w.declare(ctx, lost, now); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("declare host lost failed", "host", lost.Host, "err", err)
		}
	}
}

// declare appends HostLost unless the stored history settles the host
// already; a conflict means another watcher (or the host) got there
// first, and the next check decides again on what it wrote.
func (w *Worker) declare(ctx context.Context, lost events.HostLost, now time.Time) error {
	agg := events.Host(lost.Host)
	history, last, err := w.store.Load(ctx, agg, 0)
	if err != nil {
		return fmt.Errorf("load host %s: %w", lost.Host, err)
	}
	if settled(history, now, w.cfg.Timeout) {
		return nil
	}
	_, err = w.store.Append(ctx, agg, last, []events.Event{lost}, events.AppendOptions{Source: Source})
	if errors.Is(err, events.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("append host %s lost: %w", lost.Host, err)
	}
	w.mu.Lock()
	if h, ok := w.hosts[lost.Host]; ok {
		h.Lost = true
	}
	w.mu.Unlock()
	w.cfg.Logger.Warn("host lost", "host", lost.Host, "last_seen", lost.LastSeen)
	return nil
}
