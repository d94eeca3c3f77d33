package autoscaler

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"
)

// Reading is one evaluation's measurement of an app's load.
type Reading struct {
	Time time.Time
	// CPU is the mean CPU% of the live instances with a fresh sample;
	// Reporting is how many there were, Live how many the view counts.
	CPU       float64
	Reporting int
	Live      int
	// P50MS and P95MS are the worst over the gateways with a fresh sample,
	// RPS their sum; Gateways is how many there were.
	P50MS    float64
	P95MS    float64
	RPS      float64
	Gateways int
}

// Inputs are what a decision is made on.
type Inputs struct {
	// Readings are the latest evaluations, oldest first. Decide looks at
	// the last Rules.Sustain of them: the evaluation window.
	Readings []Reading
}

// LastActions is what the app's history says about recent changes.
type LastActions struct {
	// ScaledAt is when the replicas last changed, by anyone; zero if never.
	ScaledAt time.Time
}

// Decision is the outcome of one evaluation. Hold means To == current.
type Decision struct {
	To     int
	Rule   string
	Reason string
	Hold   bool
	// Inputs summarise the evaluation window, for the record.
	Inputs events.AutoscaleInputs
}

// Decide computes an app's replicas from its policy, current replicas and
// the evaluation window. It is pure.
//
// In order:
//   - replicas outside [min, max] are corrected at once (RuleBounds);
//   - with no fresh sample of any metric the policy uses, it holds;
//   - scale out when CPU or p95 latency stayed above its high mark in every
//     reading of the window. The step is proportional, as in Kubernetes'
//     HPA: ceil(current × ratio), ratio = mean over the window / high mark,
//     the larger of the CPU and latency ratios, ignored within Tolerance,
//     capped at max, and not within Stabilization of the last change.
//     Wanted instances that have not reported yet count as idle, so a
//     scale-out still starting up is not scaled out again;
//   - scale in, one instance at a time, when every reading of the window
//     has CPU below cpu-low (default cpu-high/2) from every live instance
//     and p95 below latency-normal (default latency-high/2), for each
//     metric the policy uses; only inside the scale-in window, not within
//     the cooldown of the last change, never below max(min, 1) (nothing
//     would report to scale up from zero), and not when the remaining
//     instances would exceed cpu-high: ceil(current × cpu / cpu-high) must
//     be below current. Missing data never scales in.
func (r Rules) Decide(p events.AutoscalePolicySet, current int, in Inputs, now time.Time, last LastActions) Decision {
	r.setDefaults()
	win := in.Readings
	if len(win) > r.Sustain {
		win = win[len(win)-r.Sustain:]
	}
	base := Decision{To: current, Hold: true, Inputs: summarize(win)}
	hold := func(rule, format string, args ...any) Decision {
		d := base
		d.Rule, d.Reason = rule, fmt.Sprintf(format, args...)
		return d
	}
	change := func(to int, rule, format string, args ...any) Decision {
		d := hold(rule, format, args...)
		d.To, d.Hold = to, false
		return d
	}

	if !p.Enabled {
		return hold(RuleDisabled, "no autoscaling policy")
	}
	if current < p.Min {
		return change(p.Min, RuleBounds, "%d replicas is below min %d", current, p.Min)
	}
	if current > p.Max {
		return change(p.Max, RuleBounds, "%d replicas is above max %d", current, p.Max)
	}
	cpuOn, latOn := p.CPUHigh > 0, p.LatencyHighMS > 0
	if len(win) == 0 {
		return hold(RuleNoMetrics, "no readings yet")
	}
	latest := win[len(win)-1]
	if !(cpuOn && latest.Reporting > 0) && !(latOn && latest.Gateways > 0) {
		return hold(RuleNoMetrics, "no fresh %s samples", policyMetrics(cpuOn, latOn))
	}
	if len(win) < r.Sustain {
		return hold(RuleWarmingUp, "%d of %d readings of the evaluation window", len(win), r.Sustain)
	}

	if out, ok := scaleOutSignal(p, current, win); ok {
		switch {
		case out.ratio <= 1+r.Tolerance:
			return hold(RuleTolerance, "%s; ratio %.2f is within tolerance %g", out.why, out.ratio, r.Tolerance)
		case current >= p.Max:
			return hold(RuleAtMax, "%s; already at max %d", out.why, p.Max)
		case now.Before(last.ScaledAt.Add(r.Stabilization)):
			return hold(RuleStabilizing, "%s; last change %s ago, stabilizing for %s",
				out.why, now.Sub(last.ScaledAt).Round(time.Millisecond), r.Stabilization)
		}
		to := max(ceil(float64(current)*out.ratio), current+1)
		return change(min(to, p.Max), out.rule, "%s (ratio %.2f)", out.why, out.ratio)
	}

	low, complete, why := lowLoad(p, current, win)
	if !low {
		return hold(RuleSteady, "load is between the marks")
	}
	if !complete {
		return hold(RuleNoMetrics, "%s, but not every instance and gateway reported; never scale in on partial data", why)
	}
	if floor := max(p.Min, 1); current <= floor {
		return hold(RuleAtMin, "%s; already at %d", why, floor)
	}
	open, err := inScaleInWindow(p.ScaleInWindow, now)
	if err != nil {
		return hold(RuleOutsideWindow, "%v", err)
	}
	if !open {
		return hold(RuleOutsideWindow, "%s; outside scale-in window %s UTC", why, p.ScaleInWindow)
	}
	cooldown := r.Cooldown
	if p.CooldownMS > 0 {
		cooldown = time.Duration(p.CooldownMS) * time.Millisecond
	}
	if now.Before(last.ScaledAt.Add(cooldown)) {
		return hold(RuleCooldown, "%s; last change %s ago, cooldown %s",
			why, now.Sub(last.ScaledAt).Round(time.Millisecond), cooldown)
	}
	if cpuOn {
		cpu := mean(win, func(r Reading) float64 { return r.CPU })
		if target := ceil(float64(current) * cpu / p.CPUHigh); target > current-1 {
			return hold(RuleSteady, "%s, but %d instances would run above cpu-high %g%%", why, current-1, p.CPUHigh)
		}
	}
	return change(current-1, RuleLowLoad, "%s", why)
}

type outSignal struct {
	rule  string
	ratio float64
	why   string
}

// scaleOutSignal returns the stronger of the sustained high-load signals.
func scaleOutSignal(p events.AutoscalePolicySet, current int, win []Reading) (outSignal, bool) {
	var best outSignal
	found := false
	consider := func(s outSignal) {
		if !found || s.ratio > best.ratio {
			best, found = s, true
		}
	}
	if p.CPUHigh > 0 && all(win, func(r Reading) bool { return r.Reporting > 0 && loadCPU(r, current) > p.CPUHigh }) {
		cpu := mean(win, func(r Reading) float64 { return loadCPU(r, current) })
		consider(outSignal{RuleCPUHigh, cpu / p.CPUHigh,
			fmt.Sprintf("cpu %.1f%% above cpu-high %g%% for %d evaluations", cpu, p.CPUHigh, len(win))})
	}
	if p.LatencyHighMS > 0 && all(win, func(r Reading) bool { return r.Gateways > 0 && r.P95MS > p.LatencyHighMS }) {
		p95 := mean(win, func(r Reading) float64 { return r.P95MS })
		consider(outSignal{RuleLatencyHigh, p95 / p.LatencyHighMS,
			fmt.Sprintf("p95 %.1fms above latency-high %gms for %d evaluations", p95, p.LatencyHighMS, len(win))})
	}
	return best, found
}

// loadCPU is the CPU per wanted instance: instances wanted but not yet
// reporting count as idle.
func loadCPU(r Reading, current int) float64 {
	return r.CPU * float64(r.Reporting) / float64(max(current, r.Reporting))
}

// lowLoad reports whether every metric the policy uses stayed below its
// low mark as far as the readings show, and whether they show everything:
// every reading has samples from every live instance and a gateway.
func lowLoad(p events.AutoscalePolicySet, current int, win []Reading) (low, complete bool, why string) {
	low, complete = true, true
	var parts []string
	if p.CPUHigh > 0 {
		mark := p.CPULow
		if mark == 0 {
			mark = p.CPUHigh / 2
		}
		low = low && all(win, func(r Reading) bool { return r.Reporting == 0 || r.CPU < mark })
		complete = complete && all(win, func(r Reading) bool { return r.Reporting > 0 && r.Reporting >= r.Live && r.Live >= current })
		parts = append(parts, fmt.Sprintf("cpu %.1f%% below cpu-low %g%%", mean(win, func(r Reading) float64 { return r.CPU }), mark))
	}
	if p.LatencyHighMS > 0 {
		mark := p.LatencyNormalMS
		if mark == 0 {
			mark = p.LatencyHighMS / 2
		}
		low = low && all(win, func(r Reading) bool { return r.Gateways == 0 || r.P95MS < mark })
		complete = complete && all(win, func(r Reading) bool { return r.Gateways > 0 })
		parts = append(parts, fmt.Sprintf("p95 %.1fms below latency-normal %gms", mean(win, func(r Reading) float64 { return r.P95MS }), mark))
	}
	return low, complete, strings.Join(parts, " and ") + fmt.Sprintf(" for %d evaluations", len(win))
}

func policyMetrics(cpu, lat bool) string {
	switch {
	case cpu && lat:
		return "cpu or latency"
	case cpu:
		return "cpu"
	default:
		return "latency"
	}
}

// summarize averages the window into the inputs recorded with a decision.
func summarize(win []Reading) events.AutoscaleInputs {
	var in events.AutoscaleInputs
	var cpuN, gwN int
	for _, r := range win {
		if r.Reporting > 0 {
			in.CPUPercent += r.CPU
			cpuN++
		}
		if r.Gateways > 0 {
			in.P50MS += r.P50MS
			in.P95MS += r.P95MS
			in.RPS += r.RPS
			gwN++
		}
	}
	if cpuN > 0 {
		in.CPUPercent /= float64(cpuN)
	}
	if gwN > 0 {
		in.P50MS /= float64(gwN)
		in.P95MS /= float64(gwN)
		in.RPS /= float64(gwN)
	}
	if len(win) > 0 {
		in.Instances = win[len(win)-1].Live
	}
	return in
}

func all(win []Reading, ok func(Reading) bool) bool {
	for _, r := range win {
		if !ok(r) {
			return false
		}
	}
	return true
}

func mean(win []Reading, f func(Reading) float64) float64 {
	if len(win) == 0 {
		return 0
	}
	s := 0.0
	for _, r := range win {
		s += f(r)
	}
	return s / float64(len(win))
}

// ceil rounds up, forgiving float noise (2 × 1.5 must be 3, not 4).
func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }
