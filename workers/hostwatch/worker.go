package hostwatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// EventStore is what the watcher needs of the event store.
type EventStore interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// KeyValues opens the heartbeat bucket, creating it if missing, and gives
// the connection the bucket's leader is asked over before a host is
// declared lost; jetstream.JetStream is one.
type KeyValues interface {
	events.BucketOpener
	Conn() *nats.Conn
}

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

	mu      sync.Mutex
	hosts   map[string]*Host
	obs     *observer
	waiting string // the judge's last reason not to judge, logged when it changes
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
		hosts: map[string]*Host{}, obs: newObserver()}, nil
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

// apply folds a host event in; its stored time also tells the bus's time
// when no heartbeat does.
func (w *Worker) apply(r events.Recorded) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.obs.tick(r.Stored, w.now())
	switch e := r.Event.(type) {
	case events.HostRegistered:
		h := w.host(e.Host)
		h.Registered, h.Lost = r.Stored, false
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

// check judges the hosts on the current view and acts on the verdict.
func (w *Worker) check(ctx context.Context) {
	local := w.now()
	w.mu.Lock()
	view := View{BusNow: w.obs.busNow(local), Fresh: w.obs.fresh(local)}
	for _, h := range w.hosts {
		c := *h
		c.LastBeat = w.obs.beats[h.ID].stored
		view.Hosts = append(view.Hosts, c)
	}
	v := Judge(view, w.cfg.rules())
	why, _, _ := strings.Cut(v.Waiting, " for ")
	changed := why != w.waiting
	w.waiting = why
	w.mu.Unlock()
	if changed && v.Waiting != "" {
		w.cfg.Logger.Info("hosts are not judged for now", "why", v.Waiting)
	}
	for _, held := range v.Held {
		if err := w.hold(ctx, held); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("record host loss held failed", "host", held.Host, "err", err)
		}
	}
	for _, lost := range v.Lost {
		if err := w.declare(ctx, lost, local); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("declare host lost failed", "host", lost.Host, "err", err)
		}
	}
}

// hold records, once per silence, that a silent host is not declared lost
// and why.
func (w *Worker) hold(ctx context.Context, held events.HostLossHeld) error {
	agg := events.Host(held.Host)
	history, last, err := w.store.Load(ctx, agg, 0)
	if err != nil {
		return fmt.Errorf("load host %s: %w", held.Host, err)
	}
	if heldAlready(history, held) {
		return nil
	}
	_, err = w.store.Append(ctx, agg, last, []events.Event{held}, events.AppendOptions{Source: Source})
	if errors.Is(err, events.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("append host %s loss held: %w", held.Host, err)
	}
	w.cfg.Logger.Warn("host silent, not declared lost", "host", held.Host, "last_seen", held.LastSeen, "why", held.Reason)
	return nil
}

// confirm asks the heartbeat bucket's leader for the host's last heartbeat
// and reports whether it is the one the judge decided on. A newer one
// means the watch missed it: the view was disrupted.
func (w *Worker) confirm(ctx context.Context, lost *events.HostLost) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	msg, err := events.LastFromLeader(ctx, w.kvs.Conn(), heartbeatStream, heartbeatSubject(lost.Host))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return true, nil // never beat: the registration is all there is
	}
	if err != nil {
		return false, err
	}
	local := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.obs.beat(lost.Host, msg.Time, msg.Sequence, local) {
		w.obs.disrupted()
		w.obs.resumed(local)
		w.cfg.Logger.Warn("the heartbeat watch missed a heartbeat the bucket's leader has; no host is declared lost until a grace period has passed",
			"host", lost.Host, "grace", w.cfg.StartGrace)
		return false, nil
	}
	lost.HeartbeatRevision = msg.Sequence
	return true, nil
}

// declare appends HostLost, once the bucket's leader confirmed the
// evidence, unless the stored history settles the host already; a
// conflict means another watcher (or the host) got there first, and the
// next check decides again on what it wrote.
func (w *Worker) declare(ctx context.Context, lost events.HostLost, now time.Time) error {
	ok, err := w.confirm(ctx, &lost)
	if err != nil {
		return fmt.Errorf("confirm host %s silent: %w", lost.Host, err)
	}
	if !ok {
		return nil
	}
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
	w.cfg.Logger.Warn("host lost", "host", lost.Host, "last_seen", lost.LastSeen, "judged", lost.Judged,
		"observed_since", lost.ObservedSince, "silent", lost.Silent, "hosts", lost.Hosts)
	return nil
}

// The heartbeat bucket's stream and the subject of one host's heartbeat.
var heartbeatStream = "KV_" + events.BucketHeartbeats

func heartbeatSubject(host string) string { return "$KV." + events.BucketHeartbeats + "." + host }
