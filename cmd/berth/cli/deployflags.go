package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rolloutFlags are deploy's rollout settings. Only the flags given are
// sent: the server resolves every default.
type rolloutFlags struct {
	strategy, maxSurge, maxUnavailable, maxErrorRate string
	minHealthy, progressDeadline, canaryInterval     time.Duration
	maxP99                                           time.Duration
	autoRollback                                     bool
	maxFailures                                      int
	minRequests                                      int64
	canarySteps                                      []int
}

func (r *rolloutFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.strategy, "strategy", "", "rollout strategy: rolling or canary (default rolling)")
	f.StringVar(&r.maxSurge, "max-surge", "", `new instances beyond the replicas during a rolling update: a count or a share ("25%", the default)`)
	f.StringVar(&r.maxUnavailable, "max-unavailable", "", `instances that may be missing during a rolling update: a count or a share (default 0)`)
	f.DurationVar(&r.minHealthy, "min-healthy", 0, "a new instance counts once healthy this long (default 5s)")
	f.DurationVar(&r.progressDeadline, "progress-deadline", 0, "the longest a rollout may take (default 2m)")
	f.BoolVar(&r.autoRollback, "auto-rollback", true, "roll back by itself when the new release fails")
	f.IntVar(&r.maxFailures, "max-failures", 0, "failed instances of the new release that end the rollout")
	f.IntSliceVar(&r.canarySteps, "canary-steps", nil, "canary traffic weights in percent, e.g. 10,50,100")
	f.DurationVar(&r.canaryInterval, "canary-interval", 0, "how long each canary step is judged, e.g. 30s")
	f.StringVar(&r.maxErrorRate, "max-error-rate", "", `the highest share of 5xx answers a canary may show ("1%", the default, or 0.01)`)
	f.DurationVar(&r.maxP99, "max-p99", 0, "the highest p99 latency a canary may show, e.g. 500ms (default: not judged)")
	f.Int64Var(&r.minRequests, "min-requests", 0, "the least canary requests an interval needs to be judged")
}

// fill adds the rollout flags given on the command line to a deploy body.
func (r *rolloutFlags) fill(cmd *cobra.Command, body map[string]any) error {
	f := cmd.Flags()
	given := func(name string) bool { return f.Changed(name) }
	if given("strategy") {
		if r.strategy != "rolling" && r.strategy != "canary" {
			return usageError{fmt.Errorf("--strategy %q: use rolling or canary", r.strategy)}
		}
		body["strategy"] = r.strategy
	}
	if given("max-surge") {
		body["max_surge"] = r.maxSurge
	}
	if given("max-unavailable") {
		body["max_unavailable"] = r.maxUnavailable
	}
	for name, d := range map[string]time.Duration{"min-healthy": r.minHealthy, "progress-deadline": r.progressDeadline,
		"canary-interval": r.canaryInterval, "max-p99": r.maxP99} {
		if given(name) {
			body[strings.ReplaceAll(name, "-", "_")] = d.String()
		}
	}
	if given("auto-rollback") {
		body["auto_rollback"] = r.autoRollback
	}
	if given("max-failures") {
		body["max_failures"] = r.maxFailures
	}
	if given("canary-steps") {
		body["canary_steps"] = r.canarySteps
	}
	if given("max-error-rate") {
		rate, err := parseRate(r.maxErrorRate)
		if err != nil {
			return usageError{fmt.Errorf("--max-error-rate %q: %w", r.maxErrorRate, err)}
		}
		body["max_error_rate"] = rate
	}
	if given("min-requests") {
		body["min_requests"] = r.minRequests
	}
	return nil
}

// parseRate reads a share as a percentage ("1%", "0.5%") or a fraction
// ("0.01").
func parseRate(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("not a percentage or a fraction")
	}
	if pct {
		v /= 100
	}
	if !(v >= 0 && v <= 1) { // NaN too
		return 0, fmt.Errorf("not between 0%% and 100%%")
	}
	return v, nil
}
