package scheduler

import (
	"slices"
	"strings"
	"sync"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/workers/clusterview"
	"github.com/berth-dev/berth/workers/placement"
)

// hostsOf lists the view's hosts for placement, in ID order.
func hostsOf(v *clusterview.View) []placement.Host {
	out := make([]placement.Host, 0, len(v.Hosts))
	for _, h := range v.Hosts {
		out = append(out, placement.Host{ID: h.Host, Addr: h.Addr, Zone: h.Zone, Labels: h.Labels,
			CPUs: h.CPUs, MemoryBytes: h.MemoryBytes, PortMin: h.PortMin, PortMax: h.PortMax, Lost: h.Lost})
	}
	slices.SortFunc(out, func(a, b placement.Host) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// occupants caches each app's instances that hold resources, as placement
// sees them, rebuilt only when the app changed: a decision needs every
// other app's, and most of them did not change since the last one.
type occupants struct {
	mu   sync.Mutex
	apps map[string]occupied
}

type occupied struct {
	seq   uint64
	insts []placement.Instance
}

// others lists the instances of every app but skip that hold resources,
// with room for extra more.
func (o *occupants) others(v *clusterview.View, skip string, extra int) []placement.Instance {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.apps == nil {
		o.apps = map[string]occupied{}
	}
	n := extra
	for name, app := range v.Apps {
		if name == skip {
			continue
		}
		c, ok := o.apps[name]
		if !ok || c.seq != app.Seq {
			c = occupied{seq: app.Seq, insts: occupy(name, app)}
			o.apps[name] = c
		}
		n += len(c.insts)
	}
	out := make([]placement.Instance, 0, n)
	for name := range v.Apps {
		if name != skip {
			out = append(out, o.apps[name].insts...)
		}
	}
	return out
}

func occupy(name string, app *appstate.App) []placement.Instance {
	out := make([]placement.Instance, 0, len(app.Instances))
	for id, inst := range app.Instances {
		p := placement.Instance{ID: id, App: name, Host: inst.Host, Port: inst.HostPort, State: otherState(inst.State)}
		if !p.HoldsResources() {
			continue
		}
		r := app.ReleaseSpec(inst.Version)
		p.MemoryBytes, p.CPUs = r.MemoryBytes, r.CPUs
		out = append(out, p)
	}
	return out
}

// shortOf reports whether an app runs fewer instances than it wants, or
// last failed to place some: new capacity may let it place them.
func shortOf(app *appstate.App, hosts map[string]*clusterview.Host) bool {
	if !app.Exists || app.Stopped {
		return false
	}
	if len(app.LastPlacementFailure) > 0 {
		return true
	}
	live := 0
	for _, inst := range app.Instances {
		if h := hosts[inst.Host]; inst.Version == app.Target && inst.Live() && h != nil && !h.Lost {
			live++
		}
	}
	return live < app.Wants().Target
}

// onHost reports whether an app has a live instance on host.
func onHost(app *appstate.App, host string) bool {
	for _, inst := range app.Instances {
		if inst.Host == host && inst.Live() {
			return true
		}
	}
	return false
}
