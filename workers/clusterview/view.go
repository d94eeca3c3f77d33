package clusterview

import (
	"context"
	"errors"
	"sync"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// Host is a registered host and whether it is lost.
type Host struct {
	events.HostRegistered
	Lost bool
}

// View is the cluster as the event stream describes it. Not safe for
// concurrent use by itself; Follower guards it.
type View struct {
	Apps  map[string]*appstate.App
	Hosts map[string]*Host
	// Seq is the last stream sequence folded in.
	Seq uint64
}

// New returns an empty view.
func New() *View {
	return &View{Apps: map[string]*appstate.App{}, Hosts: map[string]*Host{}}
}

// Apply folds one event in.
func (v *View) Apply(r events.Recorded) {
	if r.Sequence > v.Seq {
		v.Seq = r.Sequence
	}
	switch e := r.Event.(type) {
	case events.HostRegistered:
		v.Hosts[e.Host] = &Host{HostRegistered: e}
	case events.HostLost:
		if h, ok := v.Hosts[e.Host]; ok {
			h.Lost = true
		}
	default:
		if r.Event == nil || r.Event.Aggregate().Kind != events.KindApp {
			return
		}
		name := r.Event.Aggregate().ID
		app, ok := v.Apps[name]
		if !ok {
			app = appstate.NewApp(name)
			v.Apps[name] = app
		}
		app.Apply(r)
	}
}

// Follower keeps a View current from the store, guarded for readers.
type Follower struct {
	mu   sync.RWMutex
	view *View

	ready     chan struct{}
	readyOnce sync.Once
}

// NewFollower returns a follower with an empty view.
func NewFollower() *Follower {
	return &Follower{view: New(), ready: make(chan struct{})}
}

// Source is what the follower reads events from.
type Source interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
}

// Run folds every event into the view until ctx ends, calling after (if
// not nil) with each event once it is applied, outside the lock.
func (f *Follower) Run(ctx context.Context, src Source, after func(events.Recorded)) error {
	return src.Follow(ctx, events.AllSubjects, events.FollowOptions{
		OnCaughtUp: func() { f.readyOnce.Do(func() { close(f.ready) }) },
	}, func(r events.Recorded) error {
		f.mu.Lock()
		f.view.Apply(r)
		f.mu.Unlock()
		if after != nil {
			after(r)
		}
		return nil
	})
}

// Ready is closed once the view has replayed the history that existed
// when Run started; deciding before that would act on the past.
func (f *Follower) Ready() <-chan struct{} { return f.ready }

// Read runs fn with the view read-locked. fn must not keep references.
func (f *Follower) Read(fn func(*View)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.view)
}

// Following is a Follower running in the background.
type Following struct {
	done chan struct{}
	err  error
}

// Done is closed when the follower stopped.
func (g *Following) Done() <-chan struct{} { return g.done }

// Err waits for the follower to stop and returns why.
func (g *Following) Err() error {
	<-g.done
	return g.err
}

// Start runs Run in the background until ctx ends or it fails.
func (f *Follower) Start(ctx context.Context, src Source, after func(events.Recorded)) *Following {
	g := &Following{done: make(chan struct{})}
	go func() {
		defer close(g.done)
		g.err = f.Run(ctx, src, after)
	}()
	return g
}

// AwaitReady waits until the view has replayed history (nil), the
// follower stopped first (an error, never nil) or ctx ended (ctx.Err()).
// Workers decide only after it returned nil.
func (f *Follower) AwaitReady(ctx context.Context, g *Following) error {
	select {
	case <-f.Ready():
		return nil
	case <-g.Done():
		return errors.Join(g.err, errors.New("event follower stopped"))
	case <-ctx.Done():
		return ctx.Err()
	}
}
