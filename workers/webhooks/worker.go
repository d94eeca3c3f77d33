package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
)

// Follower is what the worker needs of the event store.
type Follower interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
}

// Commander appends hook events (failing, recovered).
type Commander interface {
	Execute(ctx context.Context, name, idempotencyKey string, decide hooks.Decider) (commands.Result, error)
}

// SecretGetter looks up a hook's signing secret.
type SecretGetter interface {
	Get(ctx context.Context, hook, id string) (string, error)
}

// Worker runs one Watermill handler per hook. Several servers can run it
// at once: they share each hook's durable consumer, which has one event
// in flight at a time, so whichever server holds it, order is kept.
type Worker struct {
	cfg     Config
	store   Follower
	cmds    Commander
	secrets SecretGetter
	rec     *recorder
	client  *http.Client
	metrics *metrics
	log     *slog.Logger
	now     func() time.Time
	view    *view

	router    *message.Router
	routerSub message.Subscriber
	nc        *nats.Conn
	mu        sync.Mutex
	// running maps hook name to its handler and the consumer it reads.
	running map[string]runningHandler
	cache   sync.Map // "<hook>/<secret id>" → secret
}

type runningHandler struct {
	consumer string
	apps     []string
	h        *message.Handler
}

// New checks cfg and returns a worker; Run starts it.
func New(cfg Config, store Follower, cmds Commander, secrets SecretGetter, db DB, reg prometheus.Registerer) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhooks config: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("webhooks metrics: %w", err)
	}
	log := slog.Default().With("worker", "webhooks")
	return &Worker{cfg: cfg, store: store, cmds: cmds, secrets: secrets, rec: newRecorder(db, log),
		client: newClient(cfg), metrics: m, log: log, now: time.Now,
		view: newView(), running: map[string]runningHandler{}}, nil
}

// hookEvents is the subject filter of every hook's events.
var hookEvents = events.SubjectPrefix + "." + string(events.KindHook) + ".>"

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	// watermill-nats' jetstream Subscriber drains its connection on
	// Close, so it gets its own.
	nc, err := nats.Connect(w.cfg.NATSURL, append(slices.Clone(w.cfg.NATSOptions), nats.Name("berth-webhooks"), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return fmt.Errorf("webhooks: connect NATS: %w", err)
	}
	defer nc.Close()
	w.nc = nc
	logger := watermill.NewSlogLoggerWithLevelMapping(w.log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug, slog.LevelError: slog.LevelWarn})
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:                nc,
		Logger:              logger,
		AckWaitTimeout:      w.cfg.AckWait * 9 / 10,
		ResourceInitializer: w.initConsumer,
		NakDelay:            backoff{initial: w.cfg.RetryInitial, max: w.cfg.RetryMax},
		Unmarshaler:         unmarshaler{},
		// The consumer has one event in flight, so the server sends the
		// next only after it has this ack: waiting for its confirmation
		// too would add a round trip and no ordering.
		AckAsync: true,
	})
	if err != nil {
		return fmt.Errorf("webhooks: subscriber: %w", err)
	}
	router, err := w.newRouter(logger)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.router, w.routerSub = router, sub
	w.running = map[string]runningHandler{}
	w.view = newView() // folded afresh from the log on every run
	w.mu.Unlock()
	runErr := make(chan error, 1)
	go func() { runErr <- router.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-router.Running():
	case err := <-runErr:
		return fmt.Errorf("webhooks: router: %w", err)
	}
	defer func() {
		_ = router.Close()
		<-runErr
	}()

	// Everything below ends with this Run, also when following fails and
	// the supervisor runs it again.
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan struct{})
	go func() { defer close(batches); w.rec.runBatches(ctx) }()
	defer func() { cancel(); <-batches }()
	go w.retryStarts(ctx)
	// Hook history is folded first and handlers started once caught up:
	// reconciling on the way would recreate consumers of hooks removed or
	// replayed since, and send old events again.
	caughtUp := false
	err = w.store.Follow(ctx, hookEvents, events.FollowOptions{OnCaughtUp: func() {
		caughtUp = true
		for _, name := range w.view.names() {
			w.reconcile(ctx, name)
		}
	}}, func(r events.Recorded) error {
		name := w.view.apply(r)
		if caughtUp {
			w.reconcile(ctx, name)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("webhooks: follow hook events: %w", err)
}

// newRouter builds the router: failures go through Watermill middleware
// (recoverer innermost, then quick retries, then the poison queue that
// stores dead letters), and a keep-alive handler stops the router from
// closing itself when the last hook is removed (Watermill closes a router
// whose handlers have all stopped).
func (w *Worker) newRouter(logger watermill.LoggerAdapter) (*message.Router, error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: w.cfg.Timeout + time.Second}, logger)
	if err != nil {
		return nil, fmt.Errorf("webhooks: router: %w", err)
	}
	poison, err := middleware.PoisonQueueWithFilter(deadLetters{rec: w.rec}, deadLetterTopic, isDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("webhooks: poison queue: %w", err)
	}
	router.AddMiddleware(
		poison,
		middleware.Retry{
			MaxRetries:          w.cfg.InProcessRetries,
			InitialInterval:     w.cfg.RetryInitial,
			MaxInterval:         w.cfg.RetryMax,
			Multiplier:          2,
			MaxElapsedTime:      w.cfg.inProcessBudget(),
			RandomizationFactor: 0.5,
			ResetContextOnRetry: true,
			ShouldRetry:         func(p middleware.RetryParams) bool { return !isDeadLetter(p.Err) },
		}.Middleware,
		middleware.Recoverer,
	)
	idle := gochannel.NewGoChannel(gochannel.Config{}, logger)
	router.AddConsumerHandler("keep-alive", "never", idle, func(*message.Message) error { return nil })
	return router, nil
}

// reconcile makes the handlers match the hook's state: started when it
// exists, moved to a new consumer after a replay, stopped when removed.
func (w *Worker) reconcile(ctx context.Context, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, exists := w.view.get(name)
	cur, running := w.running[name]
	if running && (!exists || cur.consumer != h.ConsumerName()) {
		select {
		case <-cur.h.Started():
			cur.h.Stop()
			<-cur.h.Stopped()
		default:
			// Never subscribed (NATS was away); Watermill can't take an
			// unstarted handler back, so it is left to fail to start:
			// its consumer name no longer belongs to any hook.
		}
		delete(w.running, name)
		if !exists {
			w.deleteConsumer(ctx, cur.consumer)
		}
		running = false
	}
	if !exists {
		return
	}
	if running {
		if !slices.Equal(cur.apps, h.Spec.Apps) {
			w.updateFilter(ctx, h)
			cur.apps = h.Spec.Apps
			w.running[name] = cur
		}
		return
	}
	handler := w.router.AddConsumerHandler(h.ConsumerName(), h.ConsumerName(), w.routerSub, w.handler(name))
	w.running[name] = runningHandler{consumer: h.ConsumerName(), apps: h.Spec.Apps, h: handler}
	if err := w.router.RunHandlers(ctx); err != nil {
		w.log.Warn("hook handler not started yet, retrying", "hook", name, "err", err)
	}
	if h.PrevConsumer != "" {
		w.deleteConsumer(ctx, h.PrevConsumer)
	}
}

// retryStarts starts handlers whose subscription failed (NATS briefly
// away): RunHandlers starts whatever is added but not running.
func (w *Worker) retryStarts(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		if err := w.router.RunHandlers(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("hook handlers not started yet, retrying", "err", err)
		}
		w.mu.Unlock()
	}
}

func (w *Worker) stream(ctx context.Context) (jetstream.Stream, error) {
	js, err := jetstream.New(w.nc)
	if err != nil {
		return nil, err
	}
	return js.Stream(ctx, events.StreamName)
}

func (w *Worker) deleteConsumer(ctx context.Context, name string) {
	s, err := w.stream(ctx)
	if err == nil {
		err = s.DeleteConsumer(ctx, name)
	}
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && ctx.Err() == nil {
		w.log.Warn("hook consumer not deleted", "consumer", name, "err", err)
	}
}

// updateFilter follows a change of the hook's apps.
func (w *Worker) updateFilter(ctx context.Context, h *hooks.Hook) {
	s, err := w.stream(ctx)
	if err != nil {
		w.log.Warn("hook filter not updated", "hook", h.Name, "err", err)
		return
	}
	c, err := s.Consumer(ctx, h.ConsumerName())
	if err != nil {
		w.log.Warn("hook filter not updated", "hook", h.Name, "err", err)
		return
	}
	cfg := c.CachedInfo().Config
	cfg.FilterSubject, cfg.FilterSubjects = "", hooks.Subjects(h.Spec)
	if _, err := s.UpdateConsumer(ctx, cfg); err != nil {
		w.log.Warn("hook filter not updated", "hook", h.Name, "err", err)
	}
}

// secret returns the hook's signing secret, cached: a secret id names
// one secret forever.
func (w *Worker) secret(ctx context.Context, hook, id string) (string, error) {
	key := hook + "/" + id
	if s, ok := w.cache.Load(key); ok {
		return s.(string), nil
	}
	s, err := w.secrets.Get(ctx, hook, id)
	if err != nil {
		return "", err
	}
	w.cache.Store(key, s)
	return s, nil
}
