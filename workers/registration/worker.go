package registration

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

// Executor runs a decision against an app's fresh state; a decision of no
// events is a no-op. *commands.Handler is one.
type Executor interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// retryAfter is how soon a failed bucket write or decision is tried again.
const retryAfter = time.Second

// Worker projects the view into the endpoint and route buckets and
// deregisters endpoints. Two workers may run at once: bucket writes are
// idempotent and every deregistration is re-checked by the handler.
type Worker struct {
	cfg  Config
	src  clusterview.Source
	exec Executor
	js   Buckets
	view *clusterview.Follower
	now  func() time.Time
	kick chan struct{}

	mu           sync.Mutex
	registeredAt map[string]time.Time // endpoint key -> its EndpointRegistered time
	gone         []Deregistration     // stopped while registered, to deregister

	// Owned by Run's loop.
	endpoints, routes jetstream.KeyValue
	haveEndpoints     map[string]Endpoint
	haveRoutes        map[string]Route
	decided           map[string]bool // deregistrations sent, until the view has them
}

// New returns a worker reading events from src, deciding through exec and
// writing buckets it creates through js.
func New(cfg Config, src clusterview.Source, exec Executor, js Buckets) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("registration config: %w", err)
	}
	if src == nil || exec == nil || js == nil {
		return nil, errors.New("registration: event source, executor and jetstream are required")
	}
	return &Worker{
		cfg: cfg, src: src, exec: exec, js: js,
		view:          clusterview.NewFollower(),
		now:           time.Now,
		kick:          make(chan struct{}, 1),
		registeredAt:  map[string]time.Time{},
		haveEndpoints: map[string]Endpoint{},
		haveRoutes:    map[string]Route{},
		decided:       map[string]bool{},
	}, nil
}

// Run opens the buckets (creating missing ones), replays the event stream, reconciles
// the buckets against it and then keeps them current until ctx ends (then
// it returns nil) or the stream fails.
func (w *Worker) Run(ctx context.Context) error {
	var err error
	if w.endpoints, err = events.OpenBucket(ctx, w.js, events.BucketEndpoints); err != nil {
		return err
	}
	if w.routes, err = events.OpenBucket(ctx, w.js, events.BucketRoutes); err != nil {
		return err
	}
	return clusterview.Loop{Name: "registration", View: w.view, Src: w.src, After: w.observe, Every: w.cfg.Resync, Kick: w.kick}.Run(ctx,
		func() { w.cfg.Logger.Info("registration worker started") },
		func(ctx context.Context, tick bool) {
			if tick { // the first step and every resync read the buckets anew
				w.load(ctx)
			}
			w.sync(ctx)
		})
}

func (w *Worker) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// observe runs after each event is folded into the view: it keeps the
// registration times and wakes the loop when the buckets may change.
func (w *Worker) observe(r events.Recorded) {
	switch e := r.Event.(type) {
	case events.EndpointRegistered:
		w.mu.Lock()
		w.registeredAt[EndpointKey(e.App, e.Instance)] = r.Time
		w.mu.Unlock()
	case events.EndpointDeregistered:
		w.mu.Lock()
		delete(w.registeredAt, EndpointKey(e.App, e.Instance))
		w.mu.Unlock()
	case events.InstanceStopped:
		key := EndpointKey(e.App, e.Instance)
		w.mu.Lock()
		if _, was := w.registeredAt[key]; was {
			delete(w.registeredAt, key)
			if w.live() {
				w.gone = append(w.gone, Deregistration{App: e.App, Instance: e.Instance, Reason: "instance stopped"})
			}
		}
		w.mu.Unlock()
	}
	switch r.Event.(type) {
	case events.AppDeployed, events.AppStopped, events.AppDomainsSet, events.AppDenyListSet,
		events.InstanceScheduled, events.InstanceStarted, events.InstanceExited, events.InstanceHealthFailed,
		events.InstanceUnscheduled, events.InstanceStopped, events.EndpointRegistered, events.EndpointDeregistered,
		events.HostRegistered, events.HostLost:
		w.wake()
	}
}

func (w *Worker) live() bool {
	select {
	case <-w.view.Ready():
		return true
	default:
		return false
	}
}
