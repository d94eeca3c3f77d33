package autoscaler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

// Metric subjects the autoscaler listens on (core NATS).
var (
	instanceSubjects = events.InstanceMetricsSubject(">")
	gatewaySubjects  = events.GatewayMetricsSubject(">")
)

// Subscriber is the part of a NATS connection the autoscaler needs.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

// Executor runs commands; *commands.Handler is one.
type Executor interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// Autoscaler evaluates every app with a policy each Interval and records
// the changes Decide asks for as RecordAutoscale commands. Several may run
// at once: a decision carries the replica count and the app's event
// sequence it was made on, so a copy deciding on a state another copy has
// already changed is rejected or deduplicated, never applied twice.
type Autoscaler struct {
	cfg     Config
	src     clusterview.Source
	sub     Subscriber
	exec    Executor
	view    *clusterview.Follower
	samples *samples

	mu       sync.Mutex
	scaledAt map[string]time.Time // by app, from AppScaled events

	// Only the Run goroutine touches these.
	history  map[string][]Reading
	lastHold map[string]string

	evaluations atomic.Int64
}

// New returns an autoscaler following events from src, metrics from sub,
// and executing decisions through exec.
func New(cfg Config, src clusterview.Source, sub Subscriber, exec Executor) (*Autoscaler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("autoscaler config: %w", err)
	}
	if src == nil || sub == nil || exec == nil {
		return nil, errors.New("autoscaler: event source, NATS connection and executor are required")
	}
	return &Autoscaler{cfg: cfg, src: src, sub: sub, exec: exec,
		view: clusterview.NewFollower(), samples: newSamples(),
		scaledAt: map[string]time.Time{}, history: map[string][]Reading{}, lastHold: map[string]string{}}, nil
}

// Run listens to metrics, follows the event stream and evaluates until
// ctx ends. It decides nothing before the view has replayed history.
func (a *Autoscaler) Run(ctx context.Context) error {
	for _, subject := range []string{instanceSubjects, gatewaySubjects} {
		sub, err := a.sub.Subscribe(subject, a.onSample)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", subject, err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	return clusterview.Loop{Name: "autoscaler", View: a.view, Src: a.src, After: a.observe, Every: a.cfg.Interval}.Run(ctx,
		func() {
			a.cfg.Logger.Info("autoscaler running", "interval", a.cfg.Interval, "sustain", a.cfg.Rules.Sustain)
		},
		func(ctx context.Context, tick bool) {
			if tick {
				a.evaluate(ctx, time.Now())
			}
		})
}

// onSample keeps a metric sample; the app is the subject's last token.
func (a *Autoscaler) onSample(m *nats.Msg) {
	now := time.Now()
	app := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	switch {
	case strings.HasPrefix(m.Subject, events.InstanceMetricsSubject("")):
		var s events.InstanceSample
		if err := json.Unmarshal(m.Data, &s); err != nil || s.Instance == "" {
			a.cfg.Logger.Debug("drop instance sample", "subject", m.Subject, "err", err)
			return
		}
		a.samples.addInstance(app, s, now)
	case strings.HasPrefix(m.Subject, events.GatewayMetricsSubject("")):
		var s events.GatewaySample
		if err := json.Unmarshal(m.Data, &s); err != nil {
			a.cfg.Logger.Debug("drop gateway sample", "subject", m.Subject, "err", err)
			return
		}
		a.samples.addGateway(app, s, now)
	}
}

// observe remembers when each app's replicas last changed. The event's own
// time is used, so every copy of the autoscaler agrees on cooldowns.
func (a *Autoscaler) observe(r events.Recorded) {
	if e, ok := r.Event.(events.AppScaled); ok {
		at := r.Time
		if at.IsZero() {
			at = time.Now()
		}
		a.noteScaled(e.App, at)
	}
}

func (a *Autoscaler) noteScaled(app string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if at.After(a.scaledAt[app]) {
		a.scaledAt[app] = at
	}
}

func (a *Autoscaler) lastActions(app string) LastActions {
	a.mu.Lock()
	defer a.mu.Unlock()
	return LastActions{ScaledAt: a.scaledAt[app]}
}
