package autoscaler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/clusterview"
)

type cluster struct {
	store *events.Store
	nc    *nats.Conn
	h     *commands.Handler
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	st := natstest.StoreOn(t, nc, "test")
	return &cluster{store: st, nc: nc, h: commands.NewHandler(st, "test")}
}

// deploy creates app with replicas and an autoscaling policy.
func (c *cluster) deploy(t *testing.T, app string, replicas int, policy commands.SetAutoscale) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.h.Execute(ctx, app, "", commands.Deploy{App: app, Image: "nginx", Replicas: &replicas}.Decide); err != nil {
		t.Fatal(err)
	}
	policy.App = app
	if _, err := c.h.Execute(ctx, app, "", policy.Decide); err != nil {
		t.Fatal(err)
	}
}

// start makes instance live, as the scheduler and an agent would.
func (c *cluster) start(t *testing.T, app, instance string) {
	t.Helper()
	if _, err := c.h.Record(context.Background(), app,
		events.InstanceScheduled{App: app, Instance: instance, Version: 1, Host: "h1", HostAddr: "127.0.0.1", HostPort: 20000, Image: "nginx"},
		events.InstanceStarted{App: app, Instance: instance, Host: "h1", ContainerID: "c-" + instance},
	); err != nil {
		t.Fatal(err)
	}
}

// history returns app's autoscale decisions and scales, in order.
func (c *cluster) history(t *testing.T, app string) (decided []events.AutoscaleDecided, scaled []events.AppScaled) {
	t.Helper()
	recs, _, err := c.store.Load(context.Background(), events.App(app), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		switch e := r.Event.(type) {
		case events.AutoscaleDecided:
			decided = append(decided, e)
		case events.AppScaled:
			if len(decided) == 0 || decided[len(decided)-1].To != e.Replicas {
				t.Fatalf("AppScaled %+v does not follow its AutoscaleDecided", e)
			}
			scaled = append(scaled, e)
		}
	}
	return decided, scaled
}

// waitDecisions polls until app has n autoscale decisions.
func (c *cluster) waitDecisions(t *testing.T, app string, n int) []events.AutoscaleDecided {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		decided, scaled := c.history(t, app)
		if len(decided) >= n && len(scaled) >= n {
			return decided
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d autoscale decisions, want %d: %+v", app, len(decided), n, decided)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// load publishes samples every 20ms like agents and gateways would, until
// the test ends: instance CPU% per instance, gateway samples per gateway.
type load struct {
	mu       sync.Mutex
	cpu      map[string]map[string]float64 // app -> instance -> cpu%
	gateways map[string]map[string]events.GatewaySample
}

func publishLoad(t *testing.T, nc *nats.Conn) *load {
	l := &load{cpu: map[string]map[string]float64{}, gateways: map[string]map[string]events.GatewaySample{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			l.mu.Lock()
			for app, insts := range l.cpu {
				for id, pct := range insts {
					body, _ := json.Marshal(events.InstanceSample{App: app, Instance: id, Host: "h1", CPUPercent: pct, Time: time.Now()})
					_ = nc.Publish(events.InstanceMetricsSubject(app), body)
				}
			}
			for app, gws := range l.gateways {
				for _, s := range gws {
					body, _ := json.Marshal(s)
					_ = nc.Publish(events.GatewayMetricsSubject(app), body)
				}
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *load) setCPU(app, instance string, pct float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cpu[app] == nil {
		l.cpu[app] = map[string]float64{}
	}
	l.cpu[app][instance] = pct
}

func (l *load) setGateway(app string, s events.GatewaySample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gateways[app] == nil {
		l.gateways[app] = map[string]events.GatewaySample{}
	}
	s.App = app
	l.gateways[app][s.Gateway] = s
}

func testConfig() Config {
	return Config{Interval: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// run starts an autoscaler until the test ends.
func run(t *testing.T, c *cluster, cfg Config, exec Executor) *Autoscaler {
	t.Helper()
	a, err := New(cfg, c.store, c.nc, exec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return a
}

func TestScalesOutOnHighCPUThenInOnLowLoad(t *testing.T) {
	c := newCluster(t)
	c.deploy(t, "web", 1, commands.SetAutoscale{Min: 1, Max: 4, CPUHigh: 60, CPULow: 20, Cooldown: "1s"})
	c.start(t, "web", "web-aaaaaa")
	l := publishLoad(t, c.nc)
	l.setCPU("web", "web-aaaaaa", 90)
	l.setCPU("web", "web-ffffff", 900) // not an instance of the app: ignored
	run(t, c, testConfig(), c.h)

	out := c.waitDecisions(t, "web", 1)[0]
	if out.From != 1 || out.To != 2 || out.Rule != RuleCPUHigh || out.Reason == "" {
		t.Fatalf("scale out = %+v, want 1 -> 2 by %s (ratio 90/60)", out, RuleCPUHigh)
	}
	if out.Inputs.CPUPercent != 90 || out.Inputs.Instances != 1 {
		t.Fatalf("scale out inputs = %+v, want cpu 90%% over 1 instance", out.Inputs)
	}
	if _, scaled := c.history(t, "web"); scaled[0] != (events.AppScaled{App: "web", Replicas: 2, Previous: 1, Cause: "autoscale"}) {
		t.Fatalf("AppScaled = %+v", scaled[0])
	}

	// The scheduler starts the second instance; load drops on both.
	c.start(t, "web", "web-bbbbbb")
	l.setCPU("web", "web-aaaaaa", 5)
	l.setCPU("web", "web-bbbbbb", 5)
	decided := c.waitDecisions(t, "web", 2)
	if in := decided[1]; in.From != 2 || in.To != 1 || in.Rule != RuleLowLoad || in.Inputs.CPUPercent != 5 || in.Inputs.Instances != 2 {
		t.Fatalf("decisions = %+v, then want 2 -> 1 by %s on cpu 5%% over 2 instances", decided, RuleLowLoad)
	}
	app, err := c.h.State(context.Background(), "web")
	if err != nil || app.Spec.Replicas != 1 {
		t.Fatalf("replicas = %d, %v; want 1", app.Spec.Replicas, err)
	}
}

func TestScalesOutOnWorstGatewayLatency(t *testing.T) {
	c := newCluster(t)
	c.deploy(t, "api", 1, commands.SetAutoscale{Min: 1, Max: 5, LatencyHigh: "200ms"})
	c.start(t, "api", "api-aaaaaa")
	l := publishLoad(t, c.nc)
	l.setGateway("api", events.GatewaySample{Gateway: "g1", RPS: 30, P50MS: 40, P95MS: 100})
	l.setGateway("api", events.GatewaySample{Gateway: "g2", RPS: 40, P50MS: 60, P95MS: 500})
	run(t, c, testConfig(), c.h)

	d := c.waitDecisions(t, "api", 1)[0]
	want := events.AutoscaleInputs{CPUPercent: 0, P50MS: 60, P95MS: 500, RPS: 70, Instances: 1}
	if d.From != 1 || d.To != 3 || d.Rule != RuleLatencyHigh || d.Inputs != want {
		t.Fatalf("decision = %+v, want 1 -> 3 by %s (p95 500ms / 200ms) on %+v", d, RuleLatencyHigh, want)
	}
}

func TestHoldsWithoutSamples(t *testing.T) {
	c := newCluster(t)
	c.deploy(t, "web", 3, commands.SetAutoscale{Min: 1, Max: 4, CPUHigh: 60, CPULow: 20, Cooldown: "1ms"})
	c.start(t, "web", "web-aaaaaa")
	c.deploy(t, "low", 1, commands.SetAutoscale{Min: 2, Max: 4, CPUHigh: 60})
	a := run(t, c, testConfig(), c.h)

	// "low" is below its min: corrected without any sample. By then web,
	// idle but silent, has been evaluated as often and must not scale in.
	if d := c.waitDecisions(t, "low", 1)[0]; d.From != 1 || d.To != 2 || d.Rule != RuleBounds {
		t.Fatalf("bounds decision = %+v", d)
	}
	waitEvaluations(t, a, a.evaluations.Load()+10)
	if decided, _ := c.history(t, "web"); len(decided) != 0 {
		t.Fatalf("web scaled without samples: %+v", decided)
	}
}

func waitEvaluations(t *testing.T, a *Autoscaler, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for a.evaluations.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("autoscaler evaluated %d times, want %d", a.evaluations.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder passes commands to a real handler and counts what happened.
type recorder struct {
	h                            *commands.Handler
	applied, duplicate, rejected atomic.Int64
}

func (r *recorder) Execute(ctx context.Context, app, key string, decide commands.Decider) (commands.Result, error) {
	res, err := r.h.Execute(ctx, app, key, decide)
	switch {
	case errors.Is(err, commands.ErrRejected):
		r.rejected.Add(1)
	case err == nil && res.Duplicate:
		r.duplicate.Add(1)
	case err == nil && len(res.Events) > 0:
		r.applied.Add(1)
	}
	return res, err
}

func TestTwoCopiesScaleOnce(t *testing.T) {
	c := newCluster(t)
	c.deploy(t, "web", 1, commands.SetAutoscale{Min: 1, Max: 4, CPUHigh: 60, CPULow: 20})
	c.start(t, "web", "web-aaaaaa")
	l := publishLoad(t, c.nc)
	l.setCPU("web", "web-aaaaaa", 90)

	// Two autoscalers, each with its own handler (two servers), deciding
	// every 10ms so that both act on the same state.
	cfg := testConfig()
	cfg.Interval = 10 * time.Millisecond
	ra, rb := &recorder{h: commands.NewHandler(c.store, "a")}, &recorder{h: commands.NewHandler(c.store, "b")}
	a, b := run(t, c, cfg, ra), run(t, c, cfg, rb)

	c.waitDecisions(t, "web", 1)
	// Both copies keep evaluating after their views show the change.
	waitEvaluations(t, a, a.evaluations.Load()+20)
	waitEvaluations(t, b, b.evaluations.Load()+20)
	decided, scaled := c.history(t, "web")
	if len(decided) != 1 || len(scaled) != 1 || decided[0].From != 1 || decided[0].To != 2 {
		t.Fatalf("decisions = %+v, scales = %+v; want one 1 -> 2", decided, scaled)
	}
	t.Logf("copy a: %d applied, %d duplicate, %d rejected; copy b: %d, %d, %d",
		ra.applied.Load(), ra.duplicate.Load(), ra.rejected.Load(), rb.applied.Load(), rb.duplicate.Load(), rb.rejected.Load())
	if ra.applied.Load()+rb.applied.Load() != 1 {
		t.Fatalf("%d changes applied, want 1", ra.applied.Load()+rb.applied.Load())
	}
}

// targetOf is what an evaluation of app would act on now.
func targetOf(t *testing.T, c *cluster, app string) target {
	t.Helper()
	state, err := c.h.State(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	v := clusterview.New()
	v.Apps[app] = state
	return targets(v)[0]
}

// A copy whose view lags decides on a state another copy already changed:
// the decision is deduplicated or rejected, never applied.
func TestStaleDecisionIsNotApplied(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	c.deploy(t, "web", 1, commands.SetAutoscale{Min: 1, Max: 4, CPUHigh: 60})
	stale := targetOf(t, c, "web")
	first, err := New(testConfig(), c.store, c.nc, c.h)
	if err != nil {
		t.Fatal(err)
	}
	first.execute(ctx, stale, Decision{To: 2, Rule: RuleCPUHigh, Reason: "test"}, time.Now())

	rec := &recorder{h: commands.NewHandler(c.store, "other")}
	lagging, err := New(testConfig(), c.store, c.nc, rec)
	if err != nil {
		t.Fatal(err)
	}
	// The same state: the same idempotency key.
	lagging.execute(ctx, stale, Decision{To: 3, Rule: RuleCPUHigh, Reason: "test"}, time.Now())
	// A later sequence but the old replica count: the replica check.
	later := targetOf(t, c, "web")
	later.replicas = 1
	lagging.execute(ctx, later, Decision{To: 3, Rule: RuleCPUHigh, Reason: "test"}, time.Now())

	if rec.applied.Load() != 0 || rec.duplicate.Load() != 1 || rec.rejected.Load() != 1 {
		t.Fatalf("lagging copy: %d applied, %d duplicate, %d rejected; want 0, 1, 1",
			rec.applied.Load(), rec.duplicate.Load(), rec.rejected.Load())
	}
	if decided, _ := c.history(t, "web"); len(decided) != 1 || decided[0].To != 2 {
		t.Fatalf("decisions = %+v, want the first copy's 1 -> 2 only", decided)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{Interval: -time.Second, StaleAfter: -1, Rules: Rules{Tolerance: 2}}, nil, nil, nil); err == nil {
		t.Fatal("New accepted a bad config")
	}
	err := Config{Interval: -time.Second, StaleAfter: -1, Rules: Rules{Sustain: 1, Tolerance: 2}}.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	cfg := Config{}
	cfg.setDefaults()
	if cfg.Interval != time.Second || cfg.Rules != DefaultRules() || cfg.StaleAfter != 6*time.Second {
		t.Fatalf("defaults = %+v", cfg)
	}
}
