package commands

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// Deploy creates an app or replaces its spec. Zero fields take defaults.
type Deploy struct {
	App        string            `json:"-"`
	Image      string            `json:"image"`
	Replicas   *int              `json:"replicas,omitempty"`
	Port       int               `json:"port,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	Memory     string            `json:"memory,omitempty"`
	CPUs       float64           `json:"cpus,omitempty"`
	HealthPath string            `json:"health_path,omitempty"`
	// HealthInterval and HealthTimeout are Go durations ("2s").
	HealthInterval  string            `json:"health_interval,omitempty"`
	HealthTimeout   string            `json:"health_timeout,omitempty"`
	HealthThreshold int               `json:"health_threshold,omitempty"`
	Constraints     map[string]string `json:"constraints,omitempty"`
	MaxPerHost      int               `json:"max_per_host,omitempty"`
	// How the new release replaces the one serving.
	RolloutOptions
	SecurityOptions
	// Policy is the server's (defaults and allow-lists), not the client's.
	Policy ContainerPolicy `json:"-"`
	// Project the app belongs to (default "default"), see project.go.
	Project string `json:"project,omitempty"`
}

// Defaults of a deploy.
const (
	DefaultPort            = 8080
	DefaultHealthPath      = "/_ping"
	DefaultHealthInterval  = 2 * time.Second
	DefaultHealthTimeout   = time.Second
	DefaultHealthThreshold = 3
	MaxReplicas            = 1000
)

// Spec validates the command and returns the spec it asks for, reporting
// every problem at once.
func (d Deploy) Spec() (events.Spec, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(ValidateAppName(d.App))
	add(validateImage(d.Image))
	spec := events.Spec{Image: d.Image, Replicas: 1, Port: d.Port, Env: d.Env, CPUs: d.CPUs,
		HealthPath: d.HealthPath, HealthThreshold: d.HealthThreshold,
		Constraints: d.Constraints, MaxPerHost: d.MaxPerHost, Project: storedProject(d.Project)}
	add(ValidateProject(d.Project))
	if d.Replicas != nil {
		spec.Replicas = *d.Replicas
		add(checkRange("replicas", spec.Replicas, 0, MaxReplicas))
	}
	if spec.Port == 0 {
		spec.Port = DefaultPort
	}
	add(checkRange("port", spec.Port, 1, 65535))
	add(validateEnv(d.Env))
	mem, err := ParseMemory(d.Memory)
	add(err)
	spec.MemoryBytes = mem
	if d.Memory == "" {
		spec.MemoryBytes = d.Policy.DefaultMemoryBytes
	}
	var secErrs []error
	spec.Security, secErrs = d.SecurityOptions.spec(d.Policy)
	errs = append(errs, secErrs...)
	if mem != 0 && mem < 4<<20 {
		add(invalid("memory", "%q is below Docker's minimum of 6m", d.Memory))
	}
	if d.CPUs < 0 || d.CPUs > 256 {
		add(invalid("cpus", "%g is out of range 0..256", d.CPUs))
	}
	if spec.HealthPath == "" {
		spec.HealthPath = DefaultHealthPath
	}
	if spec.HealthPath[0] != '/' {
		add(invalid("health_path", "%q must start with /", spec.HealthPath))
	}
	spec.HealthIntervalMS = durationMS(&errs, "health_interval", d.HealthInterval, DefaultHealthInterval)
	spec.HealthTimeoutMS = durationMS(&errs, "health_timeout", d.HealthTimeout, DefaultHealthTimeout)
	if spec.HealthThreshold == 0 {
		spec.HealthThreshold = DefaultHealthThreshold
	}
	add(checkRange("health_threshold", spec.HealthThreshold, 1, 100))
	add(validateLabels("constraints", d.Constraints))
	add(checkRange("max_per_host", spec.MaxPerHost, 0, MaxReplicas))
	if err := errors.Join(errs...); err != nil {
		return events.Spec{}, err
	}
	return spec, nil
}

func durationMS(errs *[]error, field, s string, def time.Duration) int64 {
	if s == "" {
		return def.Milliseconds()
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 100*time.Millisecond || d > time.Hour {
		*errs = append(*errs, invalid(field, "%q is not a duration between 100ms and 1h", s))
		return 0
	}
	return d.Milliseconds()
}

// Decide returns AppDeployed and the RolloutStarted that brings release
// N in, unless the app already runs this exact spec. A live rollout is
// superseded; the new one starts from the release that last served (its
// instances are kept until the new ones are proven).
func (d Deploy) Decide(app *appstate.App) ([]events.Event, error) {
	spec, err := d.Spec()
	rs, rerr := d.RolloutOptions.Spec()
	if err := errors.Join(err, rerr); err != nil {
		return nil, err
	}
	if d.Project == "" && app.Exists {
		spec.Project = app.Spec.Project // no --project: the app stays where it is
	}
	if app.Exists && !app.Stopped && sameSpec(app.Spec, spec) {
		return nil, nil
	}
	v := app.Version + 1
	var evs []events.Event
	from := 0
	if app.Exists && !app.Stopped {
		from = app.Target
	}
	if ro := app.Rollout; ro.Live() {
		evs = append(evs, events.RolloutSuperseded{App: d.App, Release: ro.Release, By: v})
		if ro.From != 0 {
			from = ro.From
		}
	}
	reason := "first release"
	if from != 0 {
		reason = fmt.Sprintf("release %d replaces release %d (%s)", v, from, rs.Strategy)
	}
	return append(evs, events.AppDeployed{App: d.App, Version: v, Spec: spec},
		events.RolloutStarted{App: d.App, Release: v, From: from, Spec: rs, Reason: reason}), nil
}

func sameSpec(a, b events.Spec) bool {
	return maps.Equal(a.Env, b.Env) && maps.Equal(a.Constraints, b.Constraints) &&
		reflect.DeepEqual(stripMaps(a), stripMaps(b))
}

func stripMaps(s events.Spec) events.Spec {
	s.Env, s.Constraints = nil, nil
	return s
}
