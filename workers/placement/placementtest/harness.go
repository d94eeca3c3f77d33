package placementtest

import (
	"fmt"
	"slices"

	"github.com/berth-dev/berth/workers/placement"
)

// Harness holds a cluster in memory, computes plans against it with
// deterministic instance IDs, applies them and records every plan.
type Harness struct {
	Cluster placement.Cluster
	Apps    map[string]placement.AppSpec
	Plans   []placement.Plan

	seq map[string]int
}

// New returns a harness over the given hosts and no instances.
func New(hosts ...placement.Host) *Harness {
	return &Harness{
		Cluster: placement.Cluster{Hosts: hosts},
		Apps:    map[string]placement.AppSpec{},
		seq:     map[string]int{},
	}
}

// NewID returns the harness's ID generator for app: <app>-000001, -000002, ...
// continuing across calls so IDs are never reused.
func (h *Harness) NewID(app string) func() string {
	return func() string {
		h.seq[app]++
		return fmt.Sprintf("%s-%06x", app, h.seq[app])
	}
}

// SeqIDs returns a fresh generator of <app>-000001, <app>-000002, ...
func SeqIDs(app string) func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("%s-%06x", app, n)
	}
}

// Deploy records app's spec, computes its plan, applies and records it.
func (h *Harness) Deploy(app placement.AppSpec) placement.Plan {
	h.Apps[app.Name] = app
	p := placement.Compute(&h.Cluster, app, h.NewID(app.Name))
	h.Apply(app, p)
	return p
}

// Scale changes the replicas of a deployed app and deploys it again.
func (h *Harness) Scale(app string, replicas int) placement.Plan {
	spec := h.Apps[app]
	spec.Replicas = replicas
	return h.Deploy(spec)
}

// Reconcile recomputes every deployed app, in name order, as a scheduler
// does after the cluster changed.
func (h *Harness) Reconcile() []placement.Plan {
	names := make([]string, 0, len(h.Apps))
	for n := range h.Apps {
		names = append(names, n)
	}
	slices.Sort(names)
	plans := make([]placement.Plan, 0, len(names))
	for _, n := range names {
		plans = append(plans, h.Deploy(h.Apps[n]))
	}
	return plans
}

// Apply records p and applies it: removed instances disappear, placed ones
// appear as scheduled with the app's resources.
func (h *Harness) Apply(app placement.AppSpec, p placement.Plan) {
	h.Plans = append(h.Plans, p)
	if len(p.Remove) > 0 {
		gone := make(map[string]bool, len(p.Remove))
		for _, r := range p.Remove {
			gone[r.InstanceID] = true
		}
		h.Cluster.Instances = slices.DeleteFunc(h.Cluster.Instances, func(in placement.Instance) bool { return gone[in.ID] })
	}
	for _, pl := range p.Place {
		h.Cluster.Instances = append(h.Cluster.Instances, placement.Instance{
			ID: pl.InstanceID, App: app.Name, Host: pl.Host, Port: pl.Port,
			MemoryBytes: app.MemoryBytes, CPUs: app.CPUs, State: placement.StateScheduled,
		})
	}
}

// SetLost marks a host lost or back.
func (h *Harness) SetLost(host string, lost bool) {
	for i := range h.Cluster.Hosts {
		if h.Cluster.Hosts[i].ID == host {
			h.Cluster.Hosts[i].Lost = lost
		}
	}
}

// SetState changes an instance's state; it reports whether the instance exists.
func (h *Harness) SetState(instance, state string) bool {
	for i := range h.Cluster.Instances {
		if h.Cluster.Instances[i].ID == instance {
			h.Cluster.Instances[i].State = state
			return true
		}
	}
	return false
}

// Live returns app's live instances on hosts that are not lost.
func (h *Harness) Live(app string) []placement.Instance {
	lost := map[string]bool{}
	for _, host := range h.Cluster.Hosts {
		lost[host.ID] = host.Lost
	}
	var out []placement.Instance
	for _, in := range h.Cluster.Instances {
		l, known := lost[in.Host]
		if in.App == app && in.Live() && known && !l {
			out = append(out, in)
		}
	}
	return out
}

// PerHost counts app's live instances per host.
func (h *Harness) PerHost(app string) map[string]int {
	out := map[string]int{}
	for _, in := range h.Live(app) {
		out[in.Host]++
	}
	return out
}
