package registration

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/workers/clusterview"
)

// Plan is what the buckets and the event log should say, per the view.
//
// Routes: every deployed app has one, stopped apps included, so that the
// gateway answers a stopped app's requests with 503 (no healthy
// instance), not 404 (no such app). A route goes only when its app is
// unknown to the event history.
type Plan struct {
	Endpoints  map[string]Endpoint
	Routes     map[string]Route
	Deregister []Deregistration
}

// Deregistration is an endpoint whose instance must stop taking traffic.
type Deregistration struct {
	App      string
	Instance string
	Reason   string
	// HostLost: the instance may still be healthy; its host is gone.
	HostLost bool
}

// Key is the endpoint's key in the bucket.
func (d Deregistration) Key() string { return EndpointKey(d.App, d.Instance) }

// Compute plans from the view. An instance is an endpoint while it is
// registered, healthy and on a host that is not lost; a registered
// instance that is not is to be deregistered. registeredAt holds the time
// of each endpoint's EndpointRegistered (now if unknown).
func Compute(v *clusterview.View, registeredAt map[string]time.Time, now time.Time) Plan {
	p := Plan{Endpoints: map[string]Endpoint{}, Routes: map[string]Route{}}
	for name, app := range v.Apps {
		if app.Exists {
			p.Routes[name] = Route{App: name, Domains: nonNil(app.Domains), Deny: nonNil(app.Deny), Weights: app.Weights()}
		}
		for id, inst := range app.Instances {
			if !inst.Registered {
				continue
			}
			lost := false
			if h, ok := v.Hosts[inst.Host]; ok && h.Lost {
				lost = true
			}
			if reason := deregisterReason(inst, lost); reason != "" {
				p.Deregister = append(p.Deregister, Deregistration{App: name, Instance: id, Reason: reason, HostLost: lost})
				continue
			}
			ep := Endpoint{App: name, Instance: id, Host: inst.Host, Release: inst.Version,
				Addr: net.JoinHostPort(inst.HostAddr, strconv.Itoa(inst.HostPort)), RegisteredAt: now}
			if at, ok := registeredAt[ep.Key()]; ok && !at.IsZero() {
				ep.RegisteredAt = at
			}
			p.Endpoints[ep.Key()] = ep
		}
	}
	slices.SortFunc(p.Deregister, func(a, b Deregistration) int {
		if a.App != b.App {
			return strings.Compare(a.App, b.App)
		}
		return strings.Compare(a.Instance, b.Instance)
	})
	return p
}

// deregisterReason says why a registered instance must stop taking
// traffic, or "" if it may go on.
func deregisterReason(inst appstate.Instance, hostLost bool) string {
	switch {
	case hostLost:
		return "host " + inst.Host + " lost"
	case inst.State == appstate.StateHealthy:
		return ""
	case inst.State == appstate.StateUnhealthy:
		return "health check failed"
	case inst.State == appstate.StateExited:
		return "instance exited"
	case inst.State == appstate.StateUnscheduled:
		return "instance unscheduled"
	}
	return "instance " + inst.State
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Ops are the bucket writes that take the buckets to the plan.
type Ops struct {
	DeleteEndpoints []string
	PutEndpoints    []Endpoint
	PutRoutes       []Route
	DeleteRoutes    []string
}

// Empty reports whether there is nothing to write.
func (o Ops) Empty() bool {
	return len(o.DeleteEndpoints)+len(o.PutEndpoints)+len(o.PutRoutes)+len(o.DeleteRoutes) == 0
}

// Diff compares the plan with the buckets' contents. Values that differ
// only in registered_at are left alone.
func Diff(p Plan, endpoints map[string]Endpoint, routes map[string]Route) Ops {
	var o Ops
	for key := range endpoints {
		if _, ok := p.Endpoints[key]; !ok {
			o.DeleteEndpoints = append(o.DeleteEndpoints, key)
		}
	}
	for key, want := range p.Endpoints {
		if have, ok := endpoints[key]; !ok || !have.same(want) {
			o.PutEndpoints = append(o.PutEndpoints, want)
		}
	}
	for key, want := range p.Routes {
		if have, ok := routes[key]; !ok || !have.same(want) {
			o.PutRoutes = append(o.PutRoutes, want)
		}
	}
	for key := range routes {
		if _, ok := p.Routes[key]; !ok {
			o.DeleteRoutes = append(o.DeleteRoutes, key)
		}
	}
	slices.Sort(o.DeleteEndpoints)
	slices.SortFunc(o.PutEndpoints, func(a, b Endpoint) int { return strings.Compare(a.Key(), b.Key()) })
	slices.SortFunc(o.PutRoutes, func(a, b Route) int { return strings.Compare(a.App, b.App) })
	slices.Sort(o.DeleteRoutes)
	return o
}
