package projections

import (
	"context"
	"sync"
	"time"
)

// run runs every projector's follow loop until ctx ends or, when
// until > 0, until all of them have applied until.
func (r *Runner) run(ctx context.Context, until uint64) error {
	pos, err := positions(ctx, r.db)
	if err != nil {
		return err
	}
	for _, p := range r.projectors {
		if err := r.ensureConsumer(ctx, p.name, pos[p.name]); err != nil {
			return err
		}
	}
	prog := newProgress(pos)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	reached := make(chan struct{})
	if until > 0 {
		go func() {
			if prog.wait(runCtx, r.names(), until) {
				close(reached)
				cancel()
			}
		}()
		// Another process following the same consumers may apply some of
		// the events; only the database sees its progress.
		go r.pollPositions(runCtx, prog)
	}
	go r.reconcile(runCtx)

	var wg sync.WaitGroup
	followers := make([]*follower, len(r.projectors))
	for i, p := range r.projectors {
		followers[i] = &follower{p: p, prog: prog}
		wg.Go(func() { r.follow(runCtx, followers[i]) })
	}
	wg.Wait()
	if !r.crashOnStop {
		r.settle(followers)
	}
	select {
	case <-reached:
		return nil
	default:
	}
	if until > 0 {
		return ctx.Err()
	}
	return nil
}

// settle waits, briefly, until JetStream has the acks sent so far, so
// the next start finds nothing in flight. It gives up on a projector
// whose ack floor stops moving short of that: an event below was handed
// back (nacked) and is pending. What is left pending costs the next
// start a consumer reset (ensureConsumer).
func (r *Runner) settle(followers []*follower) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, f := range followers {
		var last uint64
		moved := time.Now()
		for {
			floor, err := ackFloor(ctx, r.js, f.p.name)
			if err != nil || floor >= f.acked {
				break
			}
			if floor != last {
				last, moved = floor, time.Now()
			} else if time.Since(moved) > 200*time.Millisecond {
				break
			}
			if !sleep(ctx, 5*time.Millisecond) {
				return
			}
		}
	}
}

func (r *Runner) pollPositions(ctx context.Context, prog *progress) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pos, err := positions(ctx, r.db)
		if err != nil {
			continue
		}
		for name, at := range pos {
			prog.advance(name, at)
		}
	}
}
