package commands

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// SetAutoscale sets (or, with Disable, removes) an app's autoscaling policy.
type SetAutoscale struct {
	App     string  `json:"-"`
	Disable bool    `json:"disable,omitempty"`
	Min     int     `json:"min"`
	Max     int     `json:"max"`
	CPUHigh float64 `json:"cpu_high,omitempty"`
	CPULow  float64 `json:"cpu_low,omitempty"`
	// LatencyHigh and LatencyNormal are Go durations ("300ms").
	LatencyHigh   string `json:"latency_high,omitempty"`
	LatencyNormal string `json:"latency_normal,omitempty"`
	// ScaleInWindow is "HH:MM-HH:MM" (UTC); scale-in happens only inside it.
	ScaleInWindow string `json:"scale_in_window,omitempty"`
	Cooldown      string `json:"cooldown,omitempty"`
}

var windowRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Policy validates the command into the event it asks for.
func (c SetAutoscale) Policy() (events.AutoscalePolicySet, error) {
	if c.Disable {
		return events.AutoscalePolicySet{App: c.App, Enabled: false}, nil
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	p := events.AutoscalePolicySet{App: c.App, Enabled: true, Min: c.Min, Max: c.Max,
		CPUHigh: c.CPUHigh, CPULow: c.CPULow, ScaleInWindow: c.ScaleInWindow}
	add(checkRange("min", c.Min, 0, MaxReplicas))
	add(checkRange("max", c.Max, 1, MaxReplicas))
	if c.Min > c.Max {
		add(invalid("min", "%d is above max %d", c.Min, c.Max))
	}
	if c.CPUHigh < 0 || c.CPUHigh > 100 || c.CPULow < 0 || c.CPULow > 100 {
		add(invalid("cpu", "cpu-high and cpu-low are percentages 0..100"))
	}
	if c.CPUHigh != 0 && c.CPULow >= c.CPUHigh {
		add(invalid("cpu_low", "%g must be below cpu-high %g", c.CPULow, c.CPUHigh))
	}
	p.LatencyHighMS = float64(optDuration(&errs, "latency_high", c.LatencyHigh).Microseconds()) / 1000
	p.LatencyNormalMS = float64(optDuration(&errs, "latency_normal", c.LatencyNormal).Microseconds()) / 1000
	if p.LatencyHighMS != 0 && p.LatencyNormalMS >= p.LatencyHighMS {
		add(invalid("latency_normal", "must be below latency-high"))
	}
	if c.CPUHigh == 0 && p.LatencyHighMS == 0 {
		add(invalid("cpu_high", "set cpu-high or latency-high (or both)"))
	}
	if c.ScaleInWindow != "" && !windowRe.MatchString(c.ScaleInWindow) {
		add(invalid("scale_in_window", "%q is not HH:MM-HH:MM", c.ScaleInWindow))
	}
	p.CooldownMS = optDuration(&errs, "cooldown", c.Cooldown).Milliseconds()
	return p, errors.Join(errs...)
}

func optDuration(errs *[]error, field, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		*errs = append(*errs, invalid(field, "%q is not a duration like 300ms or 60s", s))
		return 0
	}
	return d
}

// Decide returns AutoscalePolicySet unless nothing changes.
func (c SetAutoscale) Decide(app *appstate.App) ([]events.Event, error) {
	p, err := c.Policy()
	if err != nil {
		return nil, err
	}
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if !p.Enabled && app.Autoscale == nil {
		return nil, nil
	}
	if app.Autoscale != nil && fmt.Sprint(*app.Autoscale) == fmt.Sprint(p) {
		return nil, nil
	}
	return []events.Event{p}, nil
}

// RecordAutoscale records an autoscaler decision and, when it changes the
// replicas, the scale itself, atomically.
type RecordAutoscale struct {
	Decision events.AutoscaleDecided
}

// Decide checks the decision was made on the current replica count.
func (c RecordAutoscale) Decide(app *appstate.App) ([]events.Event, error) {
	d := c.Decision
	if !app.Exists || app.Stopped {
		return nil, rejected("app %s is not running", d.App)
	}
	if app.Spec.Replicas != d.From {
		return nil, rejected("app %s has %d replicas, decision was made for %d", d.App, app.Spec.Replicas, d.From)
	}
	evs := []events.Event{d}
	if d.To != d.From {
		evs = append(evs, events.AppScaled{App: d.App, Replicas: d.To, Previous: d.From, Cause: "autoscale"})
	}
	return evs, nil
}
