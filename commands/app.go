package commands

import (
	"maps"

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
}

// Live reports whether the instance counts toward the app's replicas.
func (i Instance) Live() bool {
	return i.State == StateScheduled || i.State == StateRunning || i.State == StateHealthy
}

// App is an app's state folded from its events: what commands decide on.
type App struct {
	Name      string
	Exists    bool
	Stopped   bool
	Version   int
	Spec      events.Spec
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
	return &App{Name: name, Instances: map[string]Instance{}, Keys: map[string]uint64{}}
}

// Clone copies the state so a decision can't corrupt the cache.
func (a *App) Clone() *App {
	c := *a
	c.Instances = maps.Clone(a.Instances)
	c.Keys = maps.Clone(a.Keys)
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
	a.apply(r.Event)
}

func (a *App) apply(e events.Event) {
	switch e := e.(type) {
	case events.AppDeployed:
		a.Exists, a.Stopped = true, false
		a.Version, a.Spec = e.Version, e.Spec
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
	case events.EndpointDeregistered:
		a.setRegistered(e.Instance, false)
	case events.InstanceHealthFailed:
		a.setState(e.Instance, StateUnhealthy, StateScheduled, StateRunning, StateHealthy)
	case events.InstanceExited:
		a.setState(e.Instance, StateExited, StateScheduled, StateRunning, StateHealthy, StateUnhealthy)
	case events.InstanceUnscheduled:
		a.setState(e.Instance, StateUnscheduled, StateScheduled, StateRunning, StateHealthy, StateUnhealthy, StateExited)
	case events.InstanceStopped:
		delete(a.Instances, e.Instance)
	}
}

// setState moves an instance to state if it is in one of from; facts that
// arrive late (a start after the instance was unscheduled) don't revive it.
func (a *App) setState(id, state string, from ...string) {
	inst, ok := a.Instances[id]
	if !ok {
		return
	}
	for _, f := range from {
		if inst.State == f {
			inst.State = state
			a.Instances[id] = inst
			return
		}
	}
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
