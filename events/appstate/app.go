package appstate

import (
	"maps"
	"time"

	"github.com/berth-dev/berth/events"
)

// Instance states, as the command side tracks them.
const (
	StateScheduled   = "scheduled"
	StateRunning     = "running"
	StateHealthy     = "healthy"
	StateUnhealthy   = "unhealthy"
	StateExited      = "exited"
	StateUnscheduled = "unscheduled"
)

// Instance is one instance of an app as the command side knows it.
// Stopped instances are forgotten.
type Instance struct {
	ID       string `json:"id"`
	Version  int    `json:"version"`
	Host     string `json:"host"`
	HostAddr string `json:"host_addr"`
	HostPort int    `json:"host_port"`
	State    string `json:"state"`
	// Registered is true while the instance is a gateway endpoint.
	Registered bool `json:"registered"`
	// HealthySince is when it was registered as an endpoint (zero if not).
	HealthySince time.Time `json:"healthy_since,omitzero"`
}

// Live reports whether the instance counts toward the app's replicas.
func (i Instance) Live() bool {
	return i.State == StateScheduled || i.State == StateRunning || i.State == StateHealthy
}

// App is an app's state folded from its events: what commands decide on.
type App struct {
	Name    string
	Exists  bool
	Stopped bool
	// Version is the newest release; Target the release the app is driven
	// to (the newest, or an earlier one after a rollback); Spec is the
	// target release's spec with the app's current replicas.
	Version  int
	Target   int
	Spec     events.Spec
	Releases map[int]*Release
	// Rollout is the latest rollout, ended or not (nil before the first).
	Rollout   *Rollout
	Instances map[string]Instance
	Domains   []string
	Deny      []string
	Autoscale *events.AutoscalePolicySet
	// LastPlacementFailure are the reasons of the last PlacementFailed,
	// cleared when everything is placed.
	LastPlacementFailure []string
	// Keys maps idempotency keys already applied to the sequence that
	// recorded them, so a retried command answers like the first.
	Keys map[string]uint64
	// Seq is the sequence of the last event folded in.
	Seq uint64
}

// NewApp is the empty state of a not-yet-deployed app.
func NewApp(name string) *App {
	return &App{Name: name, Instances: map[string]Instance{}, Keys: map[string]uint64{}, Releases: map[int]*Release{}}
}

// Clone copies the state so a decision can't corrupt the cache.
func (a *App) Clone() *App {
	c := *a
	c.Instances = maps.Clone(a.Instances)
	c.Keys = maps.Clone(a.Keys)
	c.Releases = make(map[int]*Release, len(a.Releases))
	for v, r := range a.Releases {
		rc := *r
		c.Releases[v] = &rc
	}
	if a.Rollout != nil {
		ro := *a.Rollout
		c.Rollout = &ro
	}
	return &c
}

// Apply folds one recorded event into the state.
func (a *App) Apply(r events.Recorded) {
	if r.Sequence > a.Seq {
		a.Seq = r.Sequence
	}
	if r.IdempotencyKey != "" {
		a.Keys[r.IdempotencyKey] = r.Sequence
	}
	a.apply(r.Event, r.Time)
}

func (a *App) apply(e events.Event, at time.Time) {
	if a.applyRelease(e, at) {
		return
	}
	switch e := e.(type) {
	case events.AppDeployed:
		a.Exists, a.Stopped = true, false
		a.Version, a.Target, a.Spec = e.Version, e.Version, e.Spec
		a.Releases[e.Version] = &Release{Version: e.Version, Spec: e.Spec, CreatedAt: at}
	case events.AppScaled:
		a.Spec.Replicas = e.Replicas
	case events.AppStopped:
		a.Stopped = true
		a.Spec.Replicas = 0
	case events.AppDomainsSet:
		a.Domains = e.Domains
	case events.AppDenyListSet:
		a.Deny = e.Deny
	case events.AutoscalePolicySet:
		if e.Enabled {
			p := e
			a.Autoscale = &p
		} else {
			a.Autoscale = nil
		}
	case events.PlacementFailed:
		a.LastPlacementFailure = e.Reasons
	case events.InstanceScheduled:
		a.LastPlacementFailure = nil
		a.Instances[e.Instance] = Instance{ID: e.Instance, Version: e.Version, Host: e.Host,
			HostAddr: e.HostAddr, HostPort: e.HostPort, State: StateScheduled}
	case events.InstanceStarted:
		a.setState(e.Instance, StateRunning, StateScheduled)
	case events.EndpointRegistered:
		a.setState(e.Instance, StateHealthy, StateRunning)
		a.setRegistered(e.Instance, true)
		if inst, ok := a.Instances[e.Instance]; ok && inst.HealthySince.IsZero() {
			inst.HealthySince = at
			a.Instances[e.Instance] = inst
		}
	case events.EndpointDeregistered:
		a.setRegistered(e.Instance, false)
	case events.InstanceHealthFailed:
		if a.setState(e.Instance, StateUnhealthy, StateScheduled, StateRunning, StateHealthy) {
			a.countFailure(e.Instance)
		}
	case events.InstanceExited:
		// An instance that failed its health check and then exits is
		// one failure, not two; a start refused because the host port was
		// taken is the platform's failure, not the release's.
		wasUnhealthy := a.Instances[e.Instance].State == StateUnhealthy
		if a.setState(e.Instance, StateExited, StateScheduled, StateRunning, StateHealthy, StateUnhealthy) &&
			!wasUnhealthy && !e.PortTaken() {
			a.countFailure(e.Instance)
		}
	case events.InstanceUnscheduled:
		a.setState(e.Instance, StateUnscheduled, StateScheduled, StateRunning, StateHealthy, StateUnhealthy, StateExited)
	case events.InstanceStopped:
		delete(a.Instances, e.Instance)
	}
}

// setState moves an instance to state if it is in one of from; facts that
// arrive late (a start after the instance was unscheduled) don't revive it.
func (a *App) setState(id, state string, from ...string) bool {
	inst, ok := a.Instances[id]
	if !ok {
		return false
	}
	for _, f := range from {
		if inst.State == f {
			inst.State = state
			a.Instances[id] = inst
			return true
		}
	}
	return false
}

func (a *App) setRegistered(id string, on bool) {
	if inst, ok := a.Instances[id]; ok {
		inst.Registered = on
		a.Instances[id] = inst
	}
}

// LiveInstances counts instances that count toward replicas.
func (a *App) LiveInstances() int {
	n := 0
	for _, i := range a.Instances {
		if i.Live() {
			n++
		}
	}
	return n
}
