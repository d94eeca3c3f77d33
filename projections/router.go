package projections

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events"
)

// run runs every projector as a handler of one Watermill router until ctx
// ends or, when until > 0, until all of them have applied until.
func (r *Runner) run(ctx context.Context, until uint64) error {
	pos, err := positions(ctx, r.db)
	if err != nil {
		return err
	}
	for _, p := range r.projectors {
		if err := ensureConsumer(ctx, r.js, p.name, r.cfg.AckWait, pos[p.name]); err != nil {
			return err
		}
	}
	prog := newProgress(pos)
	var stopping atomic.Bool
	router, closeSubs, err := r.router(prog, &stopping)
	if err != nil {
		return err
	}
	defer closeSubs()

	// The router gets its own context so that stopping can first let the
	// acks of applied events reach JetStream (see settle).
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	reached := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-reached:
		case <-runCtx.Done():
			return
		}
		if !r.crashOnStop {
			stopping.Store(true)
			r.settle(prog.snapshot())
		}
		cancel()
	}()
	go r.reconcile(runCtx)
	if until > 0 {
		go func() {
			if prog.wait(runCtx, r.names(), until) {
				close(reached)
			}
		}()
		// Another process bound to the same consumers may apply some of
		// the events; only the database sees its progress.
		go r.pollPositions(runCtx, prog)
	}
	if err := router.Run(runCtx); err != nil {
		return fmt.Errorf("projections router: %w", err)
	}
	select {
	case <-reached:
		return nil
	default:
	}
	if ctx.Err() != nil {
		if until > 0 {
			return ctx.Err()
		}
		return nil
	}
	return errors.New("projections stopped: every handler's subscription ended")
}

// settle waits, briefly, until JetStream has the acks of the events
// applied so far, so the next start finds nothing in flight. An ack that
// is lost anyway costs the next start a consumer reset (ensureConsumer).
func (r *Runner) settle(applied map[string]uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, p := range r.projectors {
		for {
			floor, err := ackFloor(ctx, r.js, p.name)
			if err != nil || floor >= applied[p.name] {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
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

// router wires one handler per projector, each on its own subscriber and
// connection. Middleware, outermost first: PoisonQueue (skip and record
// what will never apply), Retry (ride out transient database errors),
// Recoverer (a panic becomes an error the two above can judge).
func (r *Runner) router(prog *progress, stopping *atomic.Bool) (*message.Router, func(), error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: r.cfg.AckWait}, r.wmLog)
	if err != nil {
		return nil, nil, fmt.Errorf("projections router: %w", err)
	}
	poison, err := middleware.PoisonQueueWithFilter(skipPublisher{cp: r.cp, log: r.log}, poisonTopic, isPoison)
	if err != nil {
		return nil, nil, fmt.Errorf("poison queue: %w", err)
	}
	retry := middleware.Retry{
		MaxRetries:      3,
		InitialInterval: 100 * time.Millisecond,
		MaxInterval:     time.Second,
		Multiplier:      2,
		MaxElapsedTime:  r.cfg.AckWait / 2,
		ShouldRetry: func(p middleware.RetryParams) bool {
			return !isPoison(p.Err) && !errors.Is(p.Err, errGap) && !errors.Is(p.Err, context.Canceled)
		},
		Logger: r.wmLog,
	}
	router.AddMiddleware(poison, retry.Middleware, middleware.Recoverer)

	var subs []*wmnats.Subscriber
	var conns []*nats.Conn
	closeAll := func() {
		for _, s := range subs {
			_ = s.Close()
		}
		for _, c := range conns {
			c.Close()
		}
	}
	for _, p := range r.projectors {
		nc, err := dial(r.cfg.NATS, "berth "+p.name)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		conns = append(conns, nc)
		sub, err := wmnats.NewSubscriberWithNatsConn(nc, r.subscriberConfig(p.name), r.wmLog)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("subscriber for %s: %w", p.name, err)
		}
		subs = append(subs, sub)
		router.AddConsumerHandler(p.name, events.AllSubjects, sub, r.handle(p, prog, stopping))
	}
	return router, closeAll, nil
}
