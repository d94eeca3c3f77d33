package autoscaler

import (
	"errors"
	"fmt"
	"time"
)

// Rule names. The first four change replicas and are recorded in
// AutoscaleDecided.Rule; the rest only explain a hold.
const (
	RuleBounds      = "bounds"       // replicas outside [min, max] are corrected at once
	RuleCPUHigh     = "cpu-high"     // scale out on sustained high CPU
	RuleLatencyHigh = "latency-high" // scale out on sustained high p95 latency
	RuleLowLoad     = "low-load"     // scale in one step on sustained low CPU and latency

	RuleDisabled      = "disabled"
	RuleNoMetrics     = "no-metrics"
	RuleWarmingUp     = "warming-up"
	RuleTolerance     = "tolerance"
	RuleAtMax         = "at-max"
	RuleAtMin         = "at-min"
	RuleStabilizing   = "stabilizing"
	RuleCooldown      = "cooldown"
	RuleOutsideWindow = "outside-scale-in-window"
	RuleSteady        = "steady"
)

// Defaults of Rules.
const (
	DefaultSustain       = 3
	DefaultTolerance     = 0.1
	DefaultStabilization = 10 * time.Second
	DefaultCooldown      = 60 * time.Second
)

// Rules are the tuning knobs of Decide that a policy does not set.
type Rules struct {
	// Sustain is how many consecutive evaluations a condition must hold
	// before it acts: the evaluation window. At one evaluation a second,
	// 3 puts a scale-out about 3s after the samples show the load.
	Sustain int
	// Tolerance is the dead band around the target: a scale out needs a
	// ratio above 1+Tolerance, so noise at the high mark does nothing.
	Tolerance float64
	// Stabilization is how long after any replica change no scale out
	// happens, so new instances can start and report before load is
	// judged again.
	Stabilization time.Duration
	// Cooldown is how long after any replica change no scale in happens,
	// unless the policy sets its own.
	Cooldown time.Duration
}

// DefaultRules are the rules the autoscaler runs with unless configured.
func DefaultRules() Rules {
	return Rules{Sustain: DefaultSustain, Tolerance: DefaultTolerance,
		Stabilization: DefaultStabilization, Cooldown: DefaultCooldown}
}

func (r *Rules) setDefaults() {
	if r.Sustain == 0 {
		r.Sustain = DefaultSustain
	}
	if r.Tolerance == 0 {
		r.Tolerance = DefaultTolerance
	}
	if r.Stabilization == 0 {
		r.Stabilization = DefaultStabilization
	}
	if r.Cooldown == 0 {
		r.Cooldown = DefaultCooldown
	}
}

// Validate reports every problem with the rules.
func (r Rules) Validate() error {
	var errs []error
	if r.Sustain < 1 {
		errs = append(errs, fmt.Errorf("sustain %d must be at least 1 evaluation", r.Sustain))
	}
	if r.Tolerance < 0 || r.Tolerance >= 1 {
		errs = append(errs, fmt.Errorf("tolerance %g must be in [0, 1)", r.Tolerance))
	}
	if r.Stabilization < 0 {
		errs = append(errs, errors.New("stabilization is negative"))
	}
	if r.Cooldown < 0 {
		errs = append(errs, errors.New("cooldown is negative"))
	}
	return errors.Join(errs...)
}
