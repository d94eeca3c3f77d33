package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/events"
)

// Bus is what the agent needs of the event bus: its own host's
// assignments to follow and a way to claim facts about its host
// (*hostbus.Bus). It never reads or writes the event log itself.
type Bus interface {
	Follow(ctx context.Context, opts events.FollowOptions, fn func(events.Recorded) error) error
	Claim(ctx context.Context, e events.Event, key string) error
}

// Runtime is the container runtime the agent drives; *dockerrt.Runtime
// implements it.
type Runtime interface {
	Run(ctx context.Context, spec dockerrt.ContainerSpec) (string, error)
	Stop(ctx context.Context, id string, timeout time.Duration) error
	List(ctx context.Context, host string) ([]dockerrt.Container, error)
	Inspect(ctx context.Context, id string) (dockerrt.State, error)
	Watch(ctx context.Context, host string) <-chan dockerrt.Event
	Stats(ctx context.Context, id string) (cpuPercent float64, memBytes uint64, err error)
}

// Backoff bounds for retrying the event follow, registration, reconcile
// and failed instance work.
const (
	retryMin = 500 * time.Millisecond
	retryMax = 30 * time.Second
)

// Agent runs the instances scheduled on its host and reports their fate.
type Agent struct {
	cfg Config
	bus Bus
	nc  *nats.Conn
	js  jetstream.JetStream
	rt  Runtime
	log *slog.Logger

	mu    sync.Mutex
	state *state

	caughtUp     chan struct{} // closed once the app history is replayed
	caughtUpOnce sync.Once
	// ready is closed once the history is replayed and Docker answered:
	// from then on instances are worked on.
	ready  chan struct{}
	resync chan struct{} // a reconcile is wanted
	// register is signalled when the host must (re)claim its registration.
	register chan struct{}
	queue    *queue
	running  atomic.Int64 // running containers at the last look, for heartbeats
	started  atomic.Bool
}

// New returns an agent for the host cfg describes.
func New(cfg Config, bus Bus, nc *nats.Conn, rt Runtime) (*Agent, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	if bus == nil || nc == nil || rt == nil {
		return nil, errors.New("agent: bus, NATS connection and runtime are required")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("agent: jetstream: %w", err)
	}
	return &Agent{
		cfg:      cfg,
		bus:      bus,
		nc:       nc,
		js:       js,
		rt:       rt,
		log:      cfg.Logger.With("host", cfg.HostID),
		state:    newState(cfg.HostID),
		ready:    make(chan struct{}),
		caughtUp: make(chan struct{}),
		resync:   make(chan struct{}, 1),
		register: make(chan struct{}, 1),
	}, nil
}

// Run works until ctx ends, then returns nil. Containers keep running
// when it returns: a restarted agent picks them up again. NATS or Docker
// being unavailable is waited out, not returned.
func (a *Agent) Run(ctx context.Context) error {
	if !a.started.CompareAndSwap(false, true) {
		return errors.New("agent: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.queue = newQueue(ctx, a.cfg.Concurrency, a.sync)
	a.queue.retryMin, a.queue.retryMax = retryMin, retryMax
	a.queue.onRetry = func(id string, err error, after time.Duration) {
		a.log.Warn("instance work failed; retrying", "instance", id, "err", err, "after", after)
	}
	a.log.Info("agent starting", "addr", a.cfg.Addr, "cpus", a.cfg.CPUs, "memory_bytes", a.cfg.MemoryBytes)

	var wg sync.WaitGroup
	start := func(loops ...func(context.Context)) {
		for _, loop := range loops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				loop(ctx)
			}()
		}
	}
	start(a.registerLoop, a.heartbeatLoop, a.followLoop)
	// The Docker client negotiates its API version on first use and
	// is not safe for concurrent use until then; one call first also
	// keeps an engine that is down from looking like failing instances.
	if a.waitForDocker(ctx) {
		start(a.reconcileLoop, a.watchLoop, a.statsLoop)
		select {
		case <-ctx.Done():
		case <-a.caughtUp:
			close(a.ready)
			a.requestReconcile()
		}
	}
	<-ctx.Done()
	wg.Wait()
	a.queue.Wait()
	a.log.Info("agent stopped")
	return nil
}

// AppOf tells which app an instance on this host belongs to, as far as
// the agent has read the event history; the host's log relay asks.
func (a *Agent) AppOf(instance string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, ok := a.state.instances[instance]
	if !ok {
		return "", false
	}
	return i.spec.App, true
}
