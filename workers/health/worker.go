package health

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

// Executor runs a decision against an app's fresh state; a decision of no
// events is a no-op. *commands.Handler is one.
type Executor interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// Worker runs one prober per started instance. Two workers may run at
// once: every decision is re-checked by the handler on fresh state, so the
// second to decide appends nothing.
type Worker struct {
	cfg  Config
	src  clusterview.Source
	exec Executor
	view *clusterview.Follower
	sem  chan struct{}
	now  func() time.Time
	kick chan struct{}

	mu      sync.Mutex
	started map[string]time.Time // "<app>.<instance>" -> InstanceStarted time
	probers map[string]*prober
}

type prober struct {
	target Target
	cancel context.CancelFunc
}

// New returns a worker reading events from src and deciding through exec.
func New(cfg Config, src clusterview.Source, exec Executor) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("health config: %w", err)
	}
	if src == nil || exec == nil {
		return nil, errors.New("health: event source and executor are required")
	}
	return &Worker{
		cfg: cfg, src: src, exec: exec,
		view:    clusterview.NewFollower(),
		sem:     make(chan struct{}, cfg.MaxInFlight),
		now:     time.Now,
		kick:    make(chan struct{}, 1),
		started: map[string]time.Time{},
		probers: map[string]*prober{},
	}, nil
}

// Run follows the event stream and keeps a prober per started instance
// until ctx ends (then it returns nil) or the stream fails.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait() // after Run below stopped every prober's context
	return clusterview.Loop{Name: "health", View: w.view, Src: w.src, After: w.observe, Every: w.cfg.Resync, Kick: w.kick}.Run(ctx,
		func() { w.cfg.Logger.Info("health worker started") },
		func(ctx context.Context, _ bool) { w.reconcile(ctx, &wg) })
}

// observe runs after each event is folded into the view: it remembers
// when instances started (for the start deadline) and wakes the loop when
// the set of instances to probe may have changed.
func (w *Worker) observe(r events.Recorded) {
	switch e := r.Event.(type) {
	case events.InstanceStarted:
		w.mu.Lock()
		w.started[e.App+"."+e.Instance] = r.Time
		w.mu.Unlock()
	case events.AppDeployed, events.AppStopped, events.InstanceScheduled, events.InstanceExited,
		events.InstanceHealthFailed, events.InstanceUnscheduled, events.InstanceStopped,
		events.EndpointRegistered, events.EndpointDeregistered, events.HostRegistered, events.HostLost:
	default:
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// reconcile starts probers for new targets and stops those whose instance
// left (or whose probe changed).
func (w *Worker) reconcile(ctx context.Context, wg *sync.WaitGroup) {
	var targets map[string]Target
	w.view.Read(func(v *clusterview.View) { targets = Targets(v) })
	now := w.now()

	w.mu.Lock()
	defer w.mu.Unlock()
	for key, p := range w.probers {
		if t, ok := targets[key]; !ok || t != p.target {
			p.cancel()
			delete(w.probers, key)
		}
	}
	for key := range w.started {
		if _, ok := targets[key]; !ok {
			delete(w.started, key)
		}
	}
	for key, t := range targets {
		if _, ok := w.probers[key]; ok {
			continue
		}
		tr := w.tracker(t, now)
		pctx, cancel := context.WithCancel(ctx)
		w.probers[key] = &prober{target: t, cancel: cancel}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.probeLoop(pctx, t, tr)
		}()
	}
}

// tracker sets up a new prober's memory. The start deadline runs from the
// instance's start, but a worker that comes up late still gives it
// Threshold probes before calling it never healthy.
func (w *Worker) tracker(t Target, now time.Time) *Tracker {
	startedAt, ok := w.started[t.Key()]
	if !ok || startedAt.IsZero() {
		startedAt = now
	}
	deadline := startedAt.Add(w.cfg.StartDeadline)
	if late := now.Add(time.Duration(t.Threshold) * t.Interval); late.After(deadline) {
		deadline = late
	}
	return &Tracker{Check: t.Check(), Threshold: t.Threshold, Deadline: deadline, StartWindow: w.cfg.StartDeadline}
}
