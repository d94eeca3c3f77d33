package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/workers/clusterview"
	"github.com/berth-dev/berth/workers/placement"
)

// Executor runs a decision against an app's fresh state and appends it
// with optimistic concurrency. *commands.Handler is one.
type Executor interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// Scheduler keeps every app at its wanted instances. Two schedulers may
// run at once: both may decide for an app, the handler appends only the
// first decision and re-runs the other's decider on fresh state, where the
// instances are already placed; port claims keep apps decided by different
// copies off each other's ports.
type Scheduler struct {
	cfg     Config
	src     clusterview.Source
	exec    Executor
	buckets Buckets
	view    *clusterview.Follower
	// occupants caches other apps' instances for decisions.
	occupants occupants
	// seen is the last sequence the view has, appended the last this
	// scheduler appended; decisions wait for the view to have their own.
	seen     seqWaiter
	appended uint64
	claims   *claims
	ready    atomic.Bool
	kick     chan struct{}
	now      func() time.Time

	crashes *crashLoop
	blocked portsInUse

	mu       sync.Mutex
	dirty    map[string]struct{}
	releases map[string]struct{} // instances whose claim is to be released

	resyncs atomic.Uint64 // completed full resyncs, for tests
}

// New returns a scheduler reading events from src, deciding through exec
// and claiming ports in the berth_ports bucket opened through buckets.
func New(cfg Config, src clusterview.Source, exec Executor, buckets Buckets) (*Scheduler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("scheduler config: %w", err)
	}
	if src == nil || exec == nil || buckets == nil {
		return nil, errors.New("scheduler: event source, executor and buckets are required")
	}
	return &Scheduler{cfg: cfg, src: src, exec: exec, buckets: buckets,
		view: clusterview.NewFollower(), kick: make(chan struct{}, 1), now: time.Now,
		dirty: map[string]struct{}{}, releases: map[string]struct{}{}, crashes: newCrashLoop()}, nil
}

// Run schedules until ctx ends (then it returns nil) or the event stream
// or the claims watch fails.
func (s *Scheduler) Run(ctx context.Context) error {
	kv, err := OpenClaims(ctx, s.buckets)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	pub, _ := s.buckets.(AsyncPublisher)
	s.claims = newClaims(kv, pub)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	failed := make(chan error, 2)
	loaded := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.claims.watch(ctx, loaded); err != nil {
			failed <- err
		}
	}()
	// Claims first: a decision must not see instances without their ports.
	select {
	case <-loaded:
	case err := <-failed:
		return fmt.Errorf("scheduler: %w", err)
	case <-ctx.Done():
		return nil
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.view.Run(ctx, s.src, s.observe); err != nil && ctx.Err() == nil {
			failed <- fmt.Errorf("follow events: %w", err)
		}
	}()
	select {
	case <-s.view.Ready():
	case err := <-failed:
		return fmt.Errorf("scheduler: %w", err)
	case <-ctx.Done():
		return nil
	}
	s.ready.Store(true)
	s.cfg.Logger.Info("scheduler started")
	return s.loop(ctx, failed)
}

func (s *Scheduler) loop(ctx context.Context, failed <-chan error) error {
	resync := time.NewTicker(s.cfg.Resync)
	defer resync.Stop()
	full := true
	for {
		if full {
			s.collect(ctx)
			s.markAll()
		}
		s.releaseStopped(ctx)
		s.reconcileDirty(ctx)
		if full {
			s.resyncs.Add(1)
		}
		full = false
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			return fmt.Errorf("scheduler: %w", err)
		case <-s.kick:
		case <-resync.C:
			full = true
		}
	}
}

// reconcileDirty reconciles every app marked dirty; events arriving
// meanwhile mark apps again for the next pass, which coalesces bursts.
func (s *Scheduler) reconcileDirty(ctx context.Context) {
	s.mu.Lock()
	names := make([]string, 0, len(s.dirty))
	for name := range s.dirty {
		names = append(names, name)
	}
	clear(s.dirty)
	s.mu.Unlock()
	slices.Sort(names)
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		if err := s.waitForView(ctx); err != nil {
			return
		}
		if wait := s.crashes.wait(name, s.now()); wait > 0 {
			time.AfterFunc(wait, func() { s.mark(name) })
			continue
		}
		if !s.needed(name) {
			continue
		}
		more, err := s.reconcile(ctx, name)
		switch {
		case err != nil && ctx.Err() == nil:
			s.cfg.Logger.Warn("reconcile failed", "app", name, "err", err)
			time.AfterFunc(s.cfg.RetryAfter, func() { s.mark(name) })
		case more:
			s.mark(name)
		}
	}
}

// reconcile decides for one app and appends the decision; more means it
// was cut short and the app needs another pass.
func (s *Scheduler) reconcile(ctx context.Context, name string) (bool, error) {
	r := s.newRound(ctx, name)
	res, err := s.exec.Execute(ctx, name, "", r.decide)
	if err != nil {
		r.releaseAll()
		return false, fmt.Errorf("reconcile %s: %w", name, err)
	}
	if n := len(res.Events); n > 0 {
		s.appended = res.Seq
		s.cfg.Logger.Debug("reconciled", "app", name, "events", n)
	}
	return r.more && len(res.Events) > 0, nil
}

// needed decides on the view's state of the app, without claims or
// appending: an app the view says is settled is skipped. The view may lag
// the store, but every event that unsettles an app marks it again once
// the view has it.
func (s *Scheduler) needed(name string) bool {
	act := false
	s.claims.read(func(reserved map[string]map[int]bool) {
		s.view.Read(func(v *clusterview.View) {
			app := v.Apps[name]
			if app == nil {
				return
			}
			if shortOf(app, v.Hosts) && len(app.LastPlacementFailure) == 0 {
				act = true // it will place or record a failure
				return
			}
			d := Decide(Input{App: app, Hosts: hostsOf(v), Reserved: reserved, MaxEvents: s.cfg.MaxEvents,
				NewID:  countingIDs(name),
				Others: func() []placement.Instance { return s.occupants.others(v, name, len(app.Instances)) }})
			act = len(d.Events) > 0
		})
	})
	return act
}

func (s *Scheduler) mark(names ...string) {
	s.mu.Lock()
	for _, n := range names {
		s.dirty[n] = struct{}{}
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Scheduler) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Scheduler) markAll() {
	var names []string
	s.view.Read(func(v *clusterview.View) {
		for name := range v.Apps {
			names = append(names, name)
		}
	})
	s.mark(names...)
}
