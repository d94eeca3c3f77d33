package clusterview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/events"
)

// Loop is the run loop every view-driven worker shares: follow the stream
// into a view, wait until it has replayed history, then step on every
// tick and every kick until ctx ends.
type Loop struct {
	// Name prefixes errors ("health: follow events: ...").
	Name string
	View *Follower
	Src  Source
	// After, if set, runs after each event is folded in.
	After func(events.Recorded)
	// Every is the tick period; Kick (optional) wakes the loop early.
	Every time.Duration
	Kick  <-chan struct{}
}

// Run steps once the view is ready, then after every tick (tick true)
// and kick (tick false). It returns nil when ctx ends and an error when
// the stream fails.
func (l Loop) Run(ctx context.Context, ready func(), step func(ctx context.Context, tick bool)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	following := l.View.Start(ctx, l.Src, l.After)
	defer func() { cancel(); _ = following.Err() }() // stop the follower and wait for it
	exit := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: follow events: %w", l.Name, err)
	}
	if err := l.View.AwaitReady(ctx, following); err != nil {
		return exit(err)
	}
	if ready != nil {
		ready()
	}
	t := time.NewTicker(l.Every)
	defer t.Stop()
	tick := true
	for {
		step(ctx, tick)
		select {
		case <-ctx.Done():
			return nil
		case <-following.Done():
			return exit(errors.Join(following.Err(), errors.New("follower stopped")))
		case <-l.Kick:
			tick = false
		case <-t.C:
			tick = true
		}
	}
}
