package autoscaler

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

var noon = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func cpuPolicy() events.AutoscalePolicySet {
	return events.AutoscalePolicySet{App: "web", Enabled: true, Min: 1, Max: 10, CPUHigh: 70, CPULow: 30}
}

func latPolicy() events.AutoscalePolicySet {
	return events.AutoscalePolicySet{App: "web", Enabled: true, Min: 1, Max: 10, LatencyHighMS: 300, LatencyNormalMS: 150}
}

func bothPolicy() events.AutoscalePolicySet {
	p := cpuPolicy()
	p.LatencyHighMS, p.LatencyNormalMS = 300, 150
	return p
}

func with(p events.AutoscalePolicySet, edit func(*events.AutoscalePolicySet)) events.AutoscalePolicySet {
	edit(&p)
	return p
}

// cpu is a reading where every one of n live instances reports pct.
func cpu(pct float64, n int) Reading { return Reading{CPU: pct, Reporting: n, Live: n} }

// lat is a reading from one gateway with p95 ms and no CPU samples.
func lat(p95 float64) Reading { return Reading{P50MS: p95 / 2, P95MS: p95, RPS: 100, Gateways: 1} }

// both merges a CPU and a latency reading.
func both(c, l Reading) Reading {
	c.P50MS, c.P95MS, c.RPS, c.Gateways = l.P50MS, l.P95MS, l.RPS, l.Gateways
	return c
}

// series is n readings of r, one a second, the last at noon.
func series(n int, r Reading) []Reading {
	out := make([]Reading, n)
	for i := range out {
		out[i] = r
		out[i].Time = noon.Add(time.Duration(i-n+1) * time.Second)
	}
	return out
}

func at(hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 1, 1, t.Hour(), t.Minute(), 0, 0, time.UTC)
}

func TestDecide(t *testing.T) {
	longAgo := LastActions{ScaledAt: noon.Add(-time.Hour)}
	cases := []struct {
		name     string
		policy   events.AutoscalePolicySet
		current  int
		readings []Reading
		now      time.Time // noon if zero
		last     LastActions
		wantTo   int
		wantRule string
	}{
		// Policy and bounds.
		{name: "disabled policy holds", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.Enabled = false }),
			current: 2, readings: series(3, cpu(99, 2)), wantTo: 2, wantRule: RuleDisabled},
		{name: "below min is raised at once, without metrics", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.Min = 3 }),
			current: 1, wantTo: 3, wantRule: RuleBounds},
		{name: "above max is lowered at once, ignoring cooldown and load", policy: cpuPolicy(),
			current: 14, readings: series(3, cpu(99, 14)), last: LastActions{ScaledAt: noon}, wantTo: 10, wantRule: RuleBounds},
		{name: "zero replicas with min 1 is corrected", policy: cpuPolicy(), current: 0, wantTo: 1, wantRule: RuleBounds},

		// Missing data.
		{name: "no readings holds", policy: cpuPolicy(), current: 2, wantTo: 2, wantRule: RuleNoMetrics},
		{name: "no fresh cpu sample holds", policy: cpuPolicy(), current: 2,
			readings: append(series(2, cpu(99, 2)), Reading{Live: 2}), wantTo: 2, wantRule: RuleNoMetrics},
		{name: "latency policy ignores cpu samples: holds", policy: latPolicy(), current: 2,
			readings: series(3, cpu(99, 2)), wantTo: 2, wantRule: RuleNoMetrics},
		{name: "no samples at all never scales in", policy: cpuPolicy(), current: 5,
			readings: series(3, Reading{Live: 5}), last: longAgo, wantTo: 5, wantRule: RuleNoMetrics},
		{name: "fewer readings than the window holds", policy: cpuPolicy(), current: 1,
			readings: series(2, cpu(99, 1)), wantTo: 1, wantRule: RuleWarmingUp},

		// Scale out: sustained, proportional, tolerance.
		{name: "sustained high cpu scales out proportionally", policy: cpuPolicy(), current: 2,
			readings: series(3, cpu(91, 2)), wantTo: 3, wantRule: RuleCPUHigh}, // ceil(2×1.3)
		{name: "ratio 1.5 of 2 is exactly 3", policy: cpuPolicy(), current: 2,
			readings: series(3, cpu(105, 2)), wantTo: 3, wantRule: RuleCPUHigh},
		{name: "double the target doubles the replicas", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(140, 4)), wantTo: 8, wantRule: RuleCPUHigh},
		{name: "the step uses the mean over the window", policy: cpuPolicy(), current: 2,
			readings: []Reading{cpu(80, 2), cpu(140, 2), cpu(200, 2)}, wantTo: 4, wantRule: RuleCPUHigh}, // mean 140: ratio 2
		{name: "one low reading in the window: not sustained", policy: cpuPolicy(), current: 2,
			readings: []Reading{cpu(99, 2), cpu(50, 2), cpu(99, 2)}, wantTo: 2, wantRule: RuleSteady},
		{name: "readings older than the window don't count", policy: cpuPolicy(), current: 2,
			readings: []Reading{cpu(10, 2), cpu(91, 2), cpu(91, 2), cpu(91, 2)}, wantTo: 3, wantRule: RuleCPUHigh},
		{name: "within tolerance holds", policy: cpuPolicy(), current: 2,
			readings: series(3, cpu(75, 2)), wantTo: 2, wantRule: RuleTolerance}, // ratio 1.07
		{name: "just past tolerance scales by one", policy: cpuPolicy(), current: 1,
			readings: series(3, cpu(78, 1)), wantTo: 2, wantRule: RuleCPUHigh}, // ratio 1.11
		{name: "capped at max", policy: cpuPolicy(), current: 8,
			readings: series(3, cpu(140, 8)), wantTo: 10, wantRule: RuleCPUHigh},
		{name: "at max holds", policy: cpuPolicy(), current: 10,
			readings: series(3, cpu(140, 10)), wantTo: 10, wantRule: RuleAtMax},
		{name: "instances not reporting yet count as idle", policy: cpuPolicy(), current: 4,
			readings: series(3, Reading{CPU: 100, Reporting: 2, Live: 4}), wantTo: 4, wantRule: RuleSteady}, // 50% per wanted instance
		{name: "saturated instances after a scale out scale out again", policy: cpuPolicy(), current: 4,
			readings: series(3, Reading{CPU: 100, Reporting: 4, Live: 4}), last: longAgo, wantTo: 6, wantRule: RuleCPUHigh},
		{name: "high p95 scales out", policy: latPolicy(), current: 2,
			readings: series(3, lat(600)), wantTo: 4, wantRule: RuleLatencyHigh},
		{name: "p95 at the mark is not above it", policy: latPolicy(), current: 2,
			readings: series(3, lat(300)), wantTo: 2, wantRule: RuleSteady},
		{name: "the larger ratio wins: latency", policy: bothPolicy(), current: 2,
			readings: series(3, both(cpu(91, 2), lat(600))), wantTo: 4, wantRule: RuleLatencyHigh},
		{name: "the larger ratio wins: cpu", policy: bothPolicy(), current: 2,
			readings: series(3, both(cpu(210, 2), lat(400))), wantTo: 6, wantRule: RuleCPUHigh},
		{name: "high latency scales out even without cpu samples", policy: bothPolicy(), current: 1,
			readings: series(3, lat(900)), wantTo: 3, wantRule: RuleLatencyHigh},
		{name: "stabilizing after a change holds scale out", policy: cpuPolicy(), current: 2,
			readings: series(3, cpu(140, 2)), last: LastActions{ScaledAt: noon.Add(-5 * time.Second)}, wantTo: 2, wantRule: RuleStabilizing},
		{name: "scale out after stabilization", policy: cpuPolicy(), current: 2,
			readings: series(3, cpu(140, 2)), last: LastActions{ScaledAt: noon.Add(-10 * time.Second)}, wantTo: 4, wantRule: RuleCPUHigh},

		// Scale in.
		{name: "sustained low cpu scales in by one", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(10, 4)), last: longAgo, wantTo: 3, wantRule: RuleLowLoad},
		{name: "very low cpu still scales in by one only", policy: cpuPolicy(), current: 8,
			readings: series(3, cpu(1, 8)), last: longAgo, wantTo: 7, wantRule: RuleLowLoad},
		{name: "never scaled before: scale in allowed", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(10, 4)), wantTo: 3, wantRule: RuleLowLoad},
		{name: "cpu between the marks holds", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(50, 4)), last: longAgo, wantTo: 4, wantRule: RuleSteady},
		{name: "one reading above cpu-low holds", policy: cpuPolicy(), current: 4,
			readings: []Reading{cpu(10, 4), cpu(35, 4), cpu(10, 4)}, last: longAgo, wantTo: 4, wantRule: RuleSteady},
		{name: "scale in that would overload the rest holds", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.CPUHigh = 50 }),
			current: 2, readings: series(3, cpu(29, 2)), last: longAgo, wantTo: 2, wantRule: RuleSteady}, // 1 instance at 58%
		{name: "cpu-low defaults to half of cpu-high: below", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.CPULow = 0 }),
			current: 3, readings: series(3, cpu(30, 3)), last: longAgo, wantTo: 2, wantRule: RuleLowLoad},
		{name: "cpu-low defaults to half of cpu-high: above", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.CPULow = 0 }),
			current: 3, readings: series(3, cpu(40, 3)), last: longAgo, wantTo: 3, wantRule: RuleSteady},
		{name: "low latency scales in", policy: latPolicy(), current: 3,
			readings: series(3, lat(50)), last: longAgo, wantTo: 2, wantRule: RuleLowLoad},
		{name: "latency-normal defaults to half of latency-high: below", policy: with(latPolicy(), func(p *events.AutoscalePolicySet) { p.LatencyNormalMS = 0 }),
			current: 3, readings: series(3, lat(140)), last: longAgo, wantTo: 2, wantRule: RuleLowLoad},
		{name: "latency-normal defaults to half of latency-high: above", policy: with(latPolicy(), func(p *events.AutoscalePolicySet) { p.LatencyNormalMS = 0 }),
			current: 3, readings: series(3, lat(160)), last: longAgo, wantTo: 3, wantRule: RuleSteady},
		{name: "both policies need both low: cpu low, p95 not", policy: bothPolicy(), current: 3,
			readings: series(3, both(cpu(10, 3), lat(200))), last: longAgo, wantTo: 3, wantRule: RuleSteady},
		{name: "both policies need both low: p95 low, cpu not", policy: bothPolicy(), current: 3,
			readings: series(3, both(cpu(50, 3), lat(20))), last: longAgo, wantTo: 3, wantRule: RuleSteady},
		{name: "both low scales in", policy: bothPolicy(), current: 3,
			readings: series(3, both(cpu(10, 3), lat(20))), last: longAgo, wantTo: 2, wantRule: RuleLowLoad},
		{name: "low cpu without gateway samples never scales in", policy: bothPolicy(), current: 3,
			readings: series(3, cpu(10, 3)), last: longAgo, wantTo: 3, wantRule: RuleNoMetrics},
		{name: "an instance not reporting blocks scale in", policy: cpuPolicy(), current: 3,
			readings: series(3, Reading{CPU: 5, Reporting: 2, Live: 3}), last: longAgo, wantTo: 3, wantRule: RuleNoMetrics},
		{name: "a wanted instance not live blocks scale in", policy: cpuPolicy(), current: 3,
			readings: series(3, cpu(5, 2)), last: longAgo, wantTo: 3, wantRule: RuleNoMetrics},
		{name: "at min holds", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.Min = 3 }), current: 3,
			readings: series(3, cpu(1, 3)), last: longAgo, wantTo: 3, wantRule: RuleAtMin},
		{name: "min 0 still keeps one instance", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.Min = 0 }), current: 1,
			readings: series(3, cpu(0, 1)), last: longAgo, wantTo: 1, wantRule: RuleAtMin},
		{name: "default cooldown after a change holds scale in", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(10, 4)), last: LastActions{ScaledAt: noon.Add(-30 * time.Second)}, wantTo: 4, wantRule: RuleCooldown},
		{name: "default cooldown over", policy: cpuPolicy(), current: 4,
			readings: series(3, cpu(10, 4)), last: LastActions{ScaledAt: noon.Add(-60 * time.Second)}, wantTo: 3, wantRule: RuleLowLoad},
		{name: "policy cooldown overrides the default", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.CooldownMS = 10_000 }),
			current: 4, readings: series(3, cpu(10, 4)), last: LastActions{ScaledAt: noon.Add(-30 * time.Second)}, wantTo: 3, wantRule: RuleLowLoad},
		{name: "policy cooldown still running", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.CooldownMS = 300_000 }),
			current: 4, readings: series(3, cpu(10, 4)), last: LastActions{ScaledAt: noon.Add(-90 * time.Second)}, wantTo: 4, wantRule: RuleCooldown},

		// Scale-in window.
		{name: "inside the scale-in window", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "11:00-13:00" }),
			current: 4, readings: series(3, cpu(10, 4)), wantTo: 3, wantRule: RuleLowLoad},
		{name: "outside the scale-in window", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "01:00-05:00" }),
			current: 4, readings: series(3, cpu(10, 4)), wantTo: 4, wantRule: RuleOutsideWindow},
		{name: "wrapping window, before midnight", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "22:00-06:00" }),
			current: 4, readings: series(3, cpu(10, 4)), now: at("23:30"), wantTo: 3, wantRule: RuleLowLoad},
		{name: "wrapping window, after midnight", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "22:00-06:00" }),
			current: 4, readings: series(3, cpu(10, 4)), now: at("05:59"), wantTo: 3, wantRule: RuleLowLoad},
		{name: "wrapping window, midday", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "22:00-06:00" }),
			current: 4, readings: series(3, cpu(10, 4)), now: at("12:00"), wantTo: 4, wantRule: RuleOutsideWindow},
		{name: "the window does not restrict scale out", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "01:00-05:00" }),
			current: 2, readings: series(3, cpu(140, 2)), wantTo: 4, wantRule: RuleCPUHigh},
		{name: "a malformed window never opens", policy: with(cpuPolicy(), func(p *events.AutoscalePolicySet) { p.ScaleInWindow = "late" }),
			current: 4, readings: series(3, cpu(10, 4)), wantTo: 4, wantRule: RuleOutsideWindow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = noon
			}
			d := DefaultRules().Decide(tc.policy, tc.current, Inputs{Readings: tc.readings}, now, tc.last)
			if d.To != tc.wantTo || d.Rule != tc.wantRule {
				t.Fatalf("Decide = %d by %q (%s); want %d by %q", d.To, d.Rule, d.Reason, tc.wantTo, tc.wantRule)
			}
			if d.Hold != (d.To == tc.current) {
				t.Fatalf("Hold = %v with %d -> %d", d.Hold, tc.current, d.To)
			}
			if d.Reason == "" {
				t.Fatal("no reason given")
			}
		})
	}
}

func TestDecideRecordsTheWindowAsInputs(t *testing.T) {
	readings := []Reading{
		both(cpu(5, 3), lat(1000)), // before the window
		both(cpu(80, 3), Reading{P50MS: 100, P95MS: 400, RPS: 50, Gateways: 2}),
		both(cpu(90, 3), Reading{P50MS: 120, P95MS: 500, RPS: 70, Gateways: 2}),
		both(Reading{CPU: 100, Reporting: 4, Live: 4}, Reading{P50MS: 140, P95MS: 600, RPS: 90, Gateways: 2}),
	}
	d := DefaultRules().Decide(bothPolicy(), 3, Inputs{Readings: readings}, noon, LastActions{})
	want := events.AutoscaleInputs{CPUPercent: 90, P50MS: 120, P95MS: 500, RPS: 70, Instances: 4}
	if d.Inputs != want {
		t.Fatalf("inputs = %+v, want %+v", d.Inputs, want)
	}
	if d.Hold || d.Rule != RuleLatencyHigh || !strings.Contains(d.Reason, "p95 500.0ms") {
		t.Fatalf("decision = %+v", d)
	}
}

func TestRulesTuneDecide(t *testing.T) {
	r := Rules{Sustain: 1, Tolerance: 0.5, Stabilization: time.Second, Cooldown: time.Second}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	// One reading is a whole window; ratio 1.3 is inside a 50% band.
	if d := r.Decide(cpuPolicy(), 2, Inputs{Readings: series(1, cpu(91, 2))}, noon, LastActions{}); d.Rule != RuleTolerance {
		t.Fatalf("decision = %+v", d)
	}
	if d := r.Decide(cpuPolicy(), 2, Inputs{Readings: series(1, cpu(140, 2))}, noon, LastActions{ScaledAt: noon.Add(-time.Second)}); d.To != 4 {
		t.Fatalf("decision = %+v", d)
	}
	bad := Rules{Sustain: -1, Tolerance: 1, Stabilization: -1, Cooldown: -1}.Validate()
	if bad == nil || len(strings.Split(bad.Error(), "\n")) != 4 {
		t.Fatalf("Validate = %v, want four problems", bad)
	}
}

func TestInScaleInWindow(t *testing.T) {
	cases := []struct {
		window string
		at     string
		want   bool
	}{
		{"", "12:00", true},
		{"01:00-05:00", "01:00", true},
		{"01:00-05:00", "04:59", true},
		{"01:00-05:00", "05:00", false},
		{"01:00-05:00", "00:59", false},
		{"22:00-06:00", "22:00", true},
		{"22:00-06:00", "23:59", true},
		{"22:00-06:00", "00:00", true},
		{"22:00-06:00", "05:59", true},
		{"22:00-06:00", "06:00", false},
		{"22:00-06:00", "21:59", false},
		{"22:00-06:00", "12:00", false},
		{"08:30-08:30", "03:00", true},
	}
	for _, tc := range cases {
		got, err := inScaleInWindow(tc.window, at(tc.at))
		if err != nil || got != tc.want {
			t.Errorf("inScaleInWindow(%q, %s) = %v, %v; want %v", tc.window, tc.at, got, err, tc.want)
		}
	}
	// The window is UTC whatever the caller's zone.
	east := time.FixedZone("UTC+3", 3*3600)
	if got, _ := inScaleInWindow("01:00-05:00", time.Date(2026, 1, 1, 5, 0, 0, 0, east)); !got {
		t.Error("05:00 at UTC+3 is 02:00 UTC, inside 01:00-05:00")
	}
	for _, bad := range []string{"late", "24:00-01:00", "1:00-02:00", "01:60-02:00", "01:00_02:00", "01:00-02:0", "01:00-02:000", "ab:cd-ef:gh"} {
		if _, err := inScaleInWindow(bad, noon); err == nil {
			t.Errorf("inScaleInWindow(%q) accepted a malformed window", bad)
		}
	}
}
