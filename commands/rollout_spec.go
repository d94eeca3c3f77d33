package commands

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"
)

// Rollout defaults: Kubernetes' surge and unavailability, Nomad's
// min_healthy_time halved (instances here are health-checked every 2 s),
// a 2 minute deadline, Flagger's 1% error rate.
const (
	DefaultMaxSurge         = "25%"
	DefaultMaxUnavailable   = "0"
	DefaultMinHealthy       = 5 * time.Second
	DefaultProgressDeadline = 2 * time.Minute
	DefaultMaxFailures      = 2
	DefaultCanaryInterval   = 30 * time.Second
	DefaultMaxErrorRate     = 0.01
	DefaultMinRequests      = 20
)

// RolloutOptions are how a deploy asks its release to be rolled out. Zero
// fields take the defaults above.
type RolloutOptions struct {
	Strategy         string   `json:"strategy,omitempty"`
	MaxSurge         string   `json:"max_surge,omitempty"`
	MaxUnavailable   string   `json:"max_unavailable,omitempty"`
	MinHealthy       string   `json:"min_healthy,omitempty"`
	ProgressDeadline string   `json:"progress_deadline,omitempty"`
	AutoRollback     *bool    `json:"auto_rollback,omitempty"`
	MaxFailures      int      `json:"max_failures,omitempty"`
	CanarySteps      []int    `json:"canary_steps,omitempty"`
	CanaryInterval   string   `json:"canary_interval,omitempty"`
	MaxErrorRate     *float64 `json:"max_error_rate,omitempty"`
	MaxP99           string   `json:"max_p99,omitempty"`
	MinRequests      int64    `json:"min_requests,omitempty"`
}

// Spec validates the options and resolves every default.
func (o RolloutOptions) Spec() (events.RolloutSpec, error) {
	var errs []error
	s := events.RolloutSpec{Strategy: o.Strategy, MaxSurge: o.MaxSurge, MaxUnavailable: o.MaxUnavailable,
		AutoRollback: true, MaxFailures: o.MaxFailures, MinRequests: o.MinRequests}
	if s.Strategy == "" {
		s.Strategy = events.StrategyRolling
	}
	if s.Strategy != events.StrategyRolling && s.Strategy != events.StrategyCanary {
		errs = append(errs, invalid("strategy", "%q is not rolling or canary", o.Strategy))
	}
	if s.MaxSurge == "" {
		s.MaxSurge = DefaultMaxSurge
	}
	if s.MaxUnavailable == "" {
		s.MaxUnavailable = DefaultMaxUnavailable
	}
	if err := checkCountOrShare("max_surge", s.MaxSurge); err != nil {
		errs = append(errs, err)
	}
	if err := checkCountOrShare("max_unavailable", s.MaxUnavailable); err != nil {
		errs = append(errs, err)
	}
	if o.AutoRollback != nil {
		s.AutoRollback = *o.AutoRollback
	}
	s.MinHealthyMS = durationIn(&errs, "min_healthy", o.MinHealthy, DefaultMinHealthy, 0, time.Hour)
	s.ProgressDeadlineMS = durationIn(&errs, "progress_deadline", o.ProgressDeadline, DefaultProgressDeadline, time.Second, 24*time.Hour)
	if s.MaxFailures == 0 {
		s.MaxFailures = DefaultMaxFailures
	}
	if s.MaxFailures < 1 || s.MaxFailures > 100 {
		errs = append(errs, invalid("max_failures", "%d is out of range 1..100", o.MaxFailures))
	}
	canary := s.Strategy == events.StrategyCanary
	if !canary && (len(o.CanarySteps) > 0 || o.CanaryInterval != "") {
		errs = append(errs, invalid("strategy", "canary steps and interval need --strategy canary"))
	}
	if canary {
		s.CanarySteps = o.CanarySteps
		if len(s.CanarySteps) == 0 {
			s.CanarySteps = []int{10, 50, 100}
		}
		errs = append(errs, checkSteps(s.CanarySteps))
		s.CanaryIntervalMS = durationIn(&errs, "canary_interval", o.CanaryInterval, DefaultCanaryInterval, time.Second, time.Hour)
		// Every step takes at least an interval: the default deadline
		// leaves room for all of them, and one given must too.
		judged := int64(len(s.CanarySteps)) * s.CanaryIntervalMS
		switch {
		case o.ProgressDeadline == "":
			s.ProgressDeadlineMS += judged
		case s.ProgressDeadlineMS > 0 && s.ProgressDeadlineMS <= judged:
			errs = append(errs, invalid("progress_deadline", "%s is shorter than %d canary steps of %s",
				o.ProgressDeadline, len(s.CanarySteps), time.Duration(s.CanaryIntervalMS)*time.Millisecond))
		}
		s.MaxErrorRate = DefaultMaxErrorRate
		if o.MaxErrorRate != nil {
			s.MaxErrorRate = *o.MaxErrorRate
		}
		if s.MaxErrorRate < 0 || s.MaxErrorRate > 1 {
			errs = append(errs, invalid("max_error_rate", "%g is not a share between 0 and 1", s.MaxErrorRate))
		}
		if o.MaxP99 != "" {
			s.MaxP99MS = float64(durationIn(&errs, "max_p99", o.MaxP99, 0, time.Millisecond, time.Minute))
		}
		if s.MinRequests == 0 {
			s.MinRequests = DefaultMinRequests
		}
		if s.MinRequests < 1 || s.MinRequests > 1_000_000 {
			errs = append(errs, invalid("min_requests", "%d is out of range 1..1000000", o.MinRequests))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return events.RolloutSpec{}, err
	}
	return s, nil
}

func checkCountOrShare(field, v string) error {
	if p, ok := strings.CutSuffix(v, "%"); ok {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 100 {
			return invalid(field, "%q is not a share like 25%%", v)
		}
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 0 || n > MaxReplicas {
		return invalid(field, "%q is not a count like 1 or a share like 25%%", v)
	}
	return nil
}

func checkSteps(steps []int) error {
	if len(steps) > 20 {
		return invalid("canary_steps", "has %d steps, at most 20", len(steps))
	}
	prev := 0
	for _, w := range steps {
		if w <= prev || w > 100 {
			return invalid("canary_steps", "%v must rise strictly within 1..100", steps)
		}
		prev = w
	}
	if prev != 100 {
		return invalid("canary_steps", "%v must end at 100", steps)
	}
	return nil
}

func durationIn(errs *[]error, field, s string, def, lo, hi time.Duration) int64 {
	if s == "" {
		return def.Milliseconds()
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < lo || d > hi {
		*errs = append(*errs, invalid(field, "%q is not a duration between %s and %s", s, lo, hi))
		return 0
	}
	return d.Milliseconds()
}
