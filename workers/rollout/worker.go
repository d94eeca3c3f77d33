package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
	"github.com/berth-dev/berth/workers/clusterview"
)

// Subscriber is the part of a NATS connection the worker needs.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

// Executor runs commands; *commands.Handler is one.
type Executor interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// Config configures a Worker. Zero fields take defaults.
type Config struct {
	// Interval between evaluations of every live rollout.
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	if c.Interval <= 0 {
		return fmt.Errorf("interval %v must be positive", c.Interval)
	}
	return nil
}

// Worker evaluates every live rollout each Interval and appends what
// Decide returns. Two copies are safe: a decision is appended against the
// app's sequence, so the copy that loses re-decides on the winner's state
// and finds nothing left to do.
type Worker struct {
	cfg     Config
	src     clusterview.Source
	sub     Subscriber
	exec    Executor
	view    *clusterview.Follower
	traffic *trafficLog
}

// New returns a worker following src, gateway samples from sub, and
// executing decisions through exec.
func New(cfg Config, src clusterview.Source, sub Subscriber, exec Executor) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("rollout config: %w", err)
	}
	if src == nil || sub == nil || exec == nil {
		return nil, errors.New("rollout: event source, NATS connection and executor are required")
	}
	return &Worker{cfg: cfg, src: src, sub: sub, exec: exec, view: clusterview.NewFollower(),
		traffic: newTrafficLog(time.Hour)}, nil
}

// Run follows the events and gateway samples and decides until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	sub, err := w.sub.Subscribe(events.GatewayMetricsSubject(">"), w.onSample)
	if err != nil {
		return fmt.Errorf("subscribe gateway samples: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	return clusterview.Loop{Name: "rollout", View: w.view, Src: w.src, Every: w.cfg.Interval}.Run(ctx,
		func() { w.cfg.Logger.Info("rollout worker running", "interval", w.cfg.Interval) },
		func(ctx context.Context, _ bool) { w.evaluate(ctx) })
}

func (w *Worker) onSample(m *nats.Msg) {
	var s events.GatewaySample
	if err := json.Unmarshal(m.Data, &s); err != nil || s.App == "" {
		w.cfg.Logger.Debug("drop gateway sample", "subject", m.Subject, "err", err)
		return
	}
	w.traffic.add(s, w.cfg.Now())
}

// evaluate decides on the view first, and goes through the command path
// (which decides again on the app's fresh state) only for apps with
// something to do.
func (w *Worker) evaluate(ctx context.Context) {
	now := w.cfg.Now()
	var due []string
	w.view.Read(func(v *clusterview.View) {
		for name, app := range v.Apps {
			if app.Rollout.Live() && Decide(w.input(app, now)) != nil {
				due = append(due, name)
			}
		}
	})
	slices.Sort(due)
	for _, name := range due {
		res, err := w.exec.Execute(ctx, name, "", func(app *appstate.App) ([]events.Event, error) {
			if e := Decide(w.input(app, now)); e != nil {
				return []events.Event{e}, nil
			}
			return nil, nil
		})
		if err != nil {
			if ctx.Err() == nil {
				w.cfg.Logger.Warn("rollout step", "app", name, "err", err)
			}
			continue
		}
		for _, e := range res.Events {
			w.cfg.Logger.Info("rollout", "app", name, "event", e.Kind(), "detail", describe(e))
		}
	}
}

func (w *Worker) input(app *appstate.App, now time.Time) Input {
	release := app.Rollout.Release
	return Input{App: app, Now: now, Traffic: func(since time.Time) Traffic {
		return w.traffic.since(app.Name, release, since)
	}}
}

func describe(e events.Event) string {
	switch e := e.(type) {
	case events.RolloutStepped:
		return e.Reason
	case events.RolloutSucceeded:
		return e.Reason
	case events.RolloutRolledBack:
		return e.Reason
	case events.RolloutFailed:
		return e.Reason
	}
	return ""
}
