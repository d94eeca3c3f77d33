package rollout_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
	"github.com/berth-dev/berth/workers/rollout"
)

func TestDecideCanary(t *testing.T) {
	def := update(canaryOpts)
	b1 := then(def, func(h *history) { h.up(105, 2, "b1") })
	good := always(flat(100, 0, 50))
	in1 := func(requests, errors int64, rate, p99 float64) events.RolloutInputs {
		return events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"},
			Requests: requests, Errors: errors, ErrorRate: rate, P99MS: p99}
	}
	p99 := commands.RolloutOptions{Strategy: events.StrategyCanary, MaxP99: "500ms"}
	b1p99 := then(update(p99), func(h *history) { h.up(105, 2, "b1") })
	runDecide(t, []decideCase{
		{name: "waits for the step's instances", build: def, now: 131, traffic: good,
			wants: &appstate.Wants{Target: 1, Old: 3, From: 1}},
		{name: "waits for them to be healthy for min healthy", build: then(def, func(h *history) { h.up(128, 2, "b1") }), now: 130, traffic: good},
		{name: "waits for the interval", build: b1, now: 129.9, traffic: good},
		{name: "waits with too few requests", build: b1, now: 130, traffic: always(flat(19, 0, 50))},
		{name: "waits without traffic", build: b1, now: 130},
		{name: "waits for the least requests asked",
			build: then(update(canaryWith(func(o *commands.RolloutOptions) { o.MinRequests = 1000 })), func(h *history) { h.up(105, 2, "b1") }),
			now:   130, traffic: always(flat(999, 0, 50))},
		{name: "too few requests judged once enough came",
			build: then(update(canaryWith(func(o *commands.RolloutOptions) { o.MinRequests = 1000 })), func(h *history) { h.up(105, 2, "b1") }),
			now:   130, traffic: always(flat(1000, 0, 50)), want: stepped(1, 50, -1, in1(1000, 0, 0, 50))},
		{name: "promotes to the next step", build: b1, now: 130, traffic: good,
			want: stepped(1, 50, -1, in1(100, 0, 0, 50)), reason: "canary at 10%: error rate 0.00% ≤ 1.00%, p99 50ms over 100 requests; promoted to 50%"},
		{name: "an error rate at the limit promotes", build: b1, now: 130, traffic: always(flat(100, 1, 50)),
			want: stepped(1, 50, -1, in1(100, 1, 0.01, 50))},
		{name: "an error rate above the limit rolls back", build: b1, now: 130, traffic: always(flat(100, 2, 50)),
			want: rolledBack(in1(100, 2, 0.02, 50)), reason: "canary at 10%: error rate 2.00% (2 of 100 requests) above 1.00%; rolled back to release 1"},
		{name: "an error rate above a limit of its own",
			build: then(update(canaryWith(func(o *commands.RolloutOptions) { r := 0.1; o.MaxErrorRate = &r })), func(h *history) { h.up(105, 2, "b1") }),
			now:   130, traffic: always(flat(100, 11, 50)), want: rolledBack(in1(100, 11, 0.11, 50))},
		{name: "an error rate above the limit fails without auto-rollback",
			build: then(update(canaryWith(func(o *commands.RolloutOptions) { o.AutoRollback = off() })), func(h *history) { h.up(105, 2, "b1") }),
			now:   130, traffic: always(flat(100, 50, 50)), want: failed(2, in1(100, 50, 0.5, 50))},
		{name: "a p99 above the limit rolls back", build: b1p99, now: 130,
			traffic: always(rollout.Traffic{Requests: 100, Latency: latency(map[float64]int64{100: 98, 750: 2})}),
			want:    rolledBack(in1(100, 0, 0, 750)), reason: "canary at 10%: p99 750ms above 500ms over 100 requests"},
		{name: "a p99 at the limit promotes", build: b1p99, now: 130,
			traffic: always(rollout.Traffic{Requests: 100, Latency: latency(map[float64]int64{100: 98, 500: 2})}),
			want:    stepped(1, 50, -1, in1(100, 0, 0, 500))},
		{name: "p99 is not judged without a limit", build: b1, now: 130, traffic: always(flat(100, 0, 10000)),
			want: stepped(1, 50, -1, in1(100, 0, 0, 10000))},
		{name: "the error rate is judged before the p99", build: b1p99, now: 130, traffic: always(flat(100, 5, 5000)),
			want: rolledBack(in1(100, 5, 0.05, 5000)), reason: "error rate 5.00%"},
		{name: "failures roll back before any judgement",
			build: then(b1, func(h *history) { h.started(106, 2, "b2", "b3").exit(107, "b2", "b3") }), now: 130, traffic: good,
			want: rolledBack(events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Failures: 2, Instances: []string{"b1"}})},
		{name: "waiting for traffic ends at the deadline", build: b1, now: 311, traffic: always(flat(5, 0, 50)),
			want:   rolledBack(events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3, Instances: []string{"b1"}}),
			reason: "progress deadline 3m30s passed with 1/3 instances"},
		{name: "the next step waits for its instances",
			build: then(b1, func(h *history) { h.step(130, good) }), now: 160, traffic: good,
			wants: &appstate.Wants{Target: 2, Old: 3, From: 1}},
		{name: "the next step is judged on its own interval",
			build: then(b1, func(h *history) { h.step(130, good); h.up(131, 2, "b2") }), now: 159, traffic: good},
		{name: "the last step once its instances are proven",
			build: then(b1, func(h *history) { h.step(130, good); h.up(131, 2, "b2") }), now: 160, traffic: good,
			want: stepped(2, 100, -1, events.RolloutInputs{Desired: 3, Healthy: 2, Available: 2, OldLive: 3,
				Instances: []string{"b1", "b2"}, Requests: 100, P99MS: 50})},
		{name: "succeeds after the last step",
			build: then(b1, func(h *history) {
				h.step(130, good)
				h.up(131, 2, "b2")
				h.step(160, good)
				h.up(161, 2, "b3")
			}), now: 190, traffic: good, wants: &appstate.Wants{Target: 3, Old: 3, From: 1},
			want: succeeded(2, events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3, OldLive: 3,
				Instances: []string{"b1", "b2", "b3"}, Requests: 100, P99MS: 50}),
			reason: "canary at 100%: error rate 0.00% ≤ 1.00%"},
	})
}

// The traffic judged is the new release's since the current step began.
func TestDecideCanaryAsksTrafficSinceTheStep(t *testing.T) {
	h := update(canaryOpts)(t)
	h.up(105, 2, "b1")
	var asked []time.Time
	traffic := func(since time.Time) rollout.Traffic {
		asked = append(asked, since)
		return flat(100, 0, 50)
	}
	h.step(130, traffic)
	h.up(131, 2, "b2")
	h.do(140, commands.RolloutAction{App: "web", Action: commands.ActionPause}.Decide)
	h.do(150, commands.RolloutAction{App: "web", Action: commands.ActionResume}.Decide)
	if e := h.step(179, traffic); e != nil {
		t.Fatalf("29s after the resume: got %#v, want nil (a resume restarts the interval)", e)
	}
	h.step(180, traffic)
	want := []time.Time{at(100), at(150)}
	if !reflect.DeepEqual(asked, want) {
		t.Fatalf("traffic asked since %v, want %v", asked, want)
	}
}

func TestTraffic(t *testing.T) {
	cases := []struct {
		name      string
		tr        rollout.Traffic
		rate, p99 float64
	}{
		{"none", rollout.Traffic{}, 0, 0},
		{"errors without requests", rollout.Traffic{Errors: 3}, 0, 0},
		{"all fast", flat(200, 0, 5), 0, 5},
		{"one slow in a hundred is not the p99", rollout.Traffic{Requests: 100, Errors: 1, Latency: latency(map[float64]int64{10: 99, 2000: 1})}, 0.01, 10},
		{"two slow in a hundred are", rollout.Traffic{Requests: 100, Errors: 50, Latency: latency(map[float64]int64{10: 98, 2000: 2})}, 0.5, 2000},
	}
	for _, c := range cases {
		if got := c.tr.ErrorRate(); got != c.rate {
			t.Errorf("%s: ErrorRate() = %g, want %g", c.name, got, c.rate)
		}
		if got := c.tr.P99MS(); got != c.p99 {
			t.Errorf("%s: P99MS() = %g, want %g", c.name, got, c.p99)
		}
	}
}
