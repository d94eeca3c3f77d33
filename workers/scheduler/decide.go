package scheduler

import (
	"fmt"
	"slices"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/placement"
)

// ReasonAppStopped is why every instance of a stopped app is unscheduled.
// Placement's reasons (placement.ReasonScaleDown, ...) cover the others,
// and ReasonReplaced the end of a rollout.
const ReasonAppStopped = "app stopped"

// ReasonReplaced is why an instance of another release is unscheduled
// once the app's target release no longer needs it.
func ReasonReplaced(version int) string { return fmt.Sprintf("replaced by release %d", version) }

// Input is everything one decision for one app is made from.
type Input struct {
	// App is the app's fresh state; the decision is appended against it.
	App *appstate.App
	// Hosts are every registered host, lost ones flagged.
	Hosts []placement.Host
	// Others returns the instances of every other app that hold resources.
	// It is called at most once, and only when instances are to be placed;
	// Decide appends to the slice it returns.
	Others func() []placement.Instance
	// Reserved are host ports claimed outside the cluster state.
	Reserved map[string]map[int]bool
	// NewID generates instance IDs; nil draws random ones.
	NewID func() string
	// MaxEvents caps the events of the decision (at least 2).
	MaxEvents int
}

// Decision is what the scheduler appends for one app.
type Decision struct {
	Events []events.Event
	// Place are the placements among Events; their ports must be claimed
	// before the decision is appended.
	Place []placement.Placement
	// More: the decision was cut at MaxEvents; decide again once it is
	// appended.
	More bool
}

// Decide computes one app's next step. It is pure.
//
//   - A stopped app has every instance unscheduled.
//   - How many instances of which release the app runs comes from its
//     rollout state (appstate.App.Wants): Target instances of the target
//     release, each placed with that release's own spec, and at most Old
//     live instances of every other release together.
//   - Dead instances (exited, unhealthy) and instances on lost or unknown
//     hosts are unscheduled, so the agent removes the container, and
//     replaced.
//   - Instances of other releases beyond Old are unscheduled, not-healthy
//     ones first, but never a healthy one while that would leave fewer
//     healthy instances than replicas - max unavailable: a release that
//     never gets healthy never takes the old one down.
//   - PlacementFailed is appended when instances could not be placed and
//     the reasons differ from the last ones recorded (or this decision
//     places some, which clears them), so a resync doesn't repeat it.
func Decide(in Input) Decision {
	app := in.App
	if app == nil || !app.Exists {
		return Decision{}
	}
	limit := in.MaxEvents
	if limit < 2 {
		limit = 2
	}
	ids := make([]string, 0, len(app.Instances))
	for id := range app.Instances {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if app.Stopped {
		return stopAll(app, ids, limit)
	}

	hosts := make(map[string]bool, len(in.Hosts)) // id -> lost
	for _, h := range in.Hosts {
		hosts[h.ID] = h.Lost
	}
	wants := app.Wants()
	spec := app.Spec // the target release's, with the app's replicas

	own := make([]placement.Instance, 0, len(ids))
	var removals []events.Event
	var old []appstate.Instance // live instances of other releases
	live, healthy, replaced := 0, 0, 0
	for _, id := range ids {
		inst := app.Instances[id]
		r := app.ReleaseSpec(inst.Version)
		p := placement.Instance{ID: id, App: app.Name, Release: inst.Version, Host: inst.Host, Port: inst.HostPort,
			MemoryBytes: r.MemoryBytes, CPUs: r.CPUs, State: ownState(inst.State)}
		gone := hostGone(hosts, inst.Host)
		if inst.Version == app.Target {
			switch {
			case inst.State == appstate.StateExited || inst.State == appstate.StateUnhealthy:
				replaced++
			case inst.Live() && gone != "":
				replaced++
			case inst.Live():
				live++
				if inst.State == appstate.StateHealthy {
					healthy++
				}
			}
			own = append(own, p)
			continue
		}
		// Another release holds resources but does not count toward the
		// target's replicas.
		p.State = otherState(inst.State)
		own = append(own, p)
		switch {
		case inst.State == appstate.StateExited:
			removals = append(removals, unschedule(app.Name, inst, placement.ReasonExited))
		case inst.State == appstate.StateUnhealthy:
			removals = append(removals, unschedule(app.Name, inst, placement.ReasonFailed))
		case inst.Live() && gone != "":
			removals = append(removals, unschedule(app.Name, inst, gone))
		case inst.Live():
			old = append(old, inst)
		}
	}
	want := max(wants.Target, 0)
	removals = append(removals, trimOld(app, old, wants, healthy)...)

	pspec := placement.AppSpec{Name: app.Name, Release: app.Target, Replicas: want, MemoryBytes: spec.MemoryBytes,
		CPUs: spec.CPUs, Constraints: spec.Constraints, MaxPerHost: spec.MaxPerHost}
	cluster := placement.Cluster{Hosts: in.Hosts, Instances: own, ReservedPorts: in.Reserved}
	var d Decision
	need, cut := want-live, 0
	if need > 0 {
		// If some of these don't fit, PlacementFailed takes the room of
		// one of them.
		budget := max(limit-len(removals)-replaced, 0)
		cut = need - min(need, budget)
		pspec.Replicas = want - cut
		if pspec.Replicas > live && in.Others != nil {
			cluster.Instances = append(in.Others(), own...)
		}
	}
	plan := placement.Compute(&cluster, pspec, freshIDs(app, in.NewID))

	evs := make([]events.Event, 0, len(plan.Remove)+len(removals)+len(plan.Place)+1)
	for _, r := range plan.Remove {
		evs = append(evs, events.InstanceUnscheduled{App: app.Name, Instance: r.InstanceID, Host: r.Host, Reason: r.Reason})
	}
	evs = append(evs, removals...)
	if len(evs) > limit {
		evs, d.More = evs[:limit], true
	}
	for _, p := range plan.Place {
		evs = append(evs, events.InstanceScheduled{
			App: app.Name, Instance: p.InstanceID, Version: app.Target,
			Host: p.Host, HostAddr: p.Addr, HostPort: p.Port, ContainerPort: spec.Port,
			Image: spec.Image, Env: spec.Env, MemoryBytes: spec.MemoryBytes, CPUs: spec.CPUs,
			Security: spec.Security,
		})
	}
	d.Place = plan.Place
	switch {
	case plan.Unplaced > 0:
		// What did not fit now won't fit in a next decision either.
		if len(plan.Place) > 0 || !slices.Equal(plan.Reasons, app.LastPlacementFailure) {
			evs = append(evs, events.PlacementFailed{App: app.Name, Unplaced: plan.Unplaced + cut, Reasons: plan.Reasons})
		}
	case cut > 0:
		d.More = true
	}
	if len(evs) > 0 {
		d.Events = evs
	}
	return d
}

// trimOld unschedules live instances of other releases beyond wants.Old:
// not-healthy ones first, then the oldest releases; a healthy one only
// while the healthy instances left (targetHealthy of the target release
// plus the old ones kept) stay at least replicas - max unavailable.
func trimOld(app *appstate.App, old []appstate.Instance, wants appstate.Wants, targetHealthy int) []events.Event {
	excess := len(old) - max(wants.Old, 0)
	if excess <= 0 {
		return nil
	}
	slices.SortStableFunc(old, func(a, b appstate.Instance) int {
		ah, bh := a.State == appstate.StateHealthy, b.State == appstate.StateHealthy
		switch {
		case ah != bh && !ah:
			return -1
		case ah != bh:
			return 1
		}
		return a.Version - b.Version
	})
	oldHealthy := 0
	for _, inst := range old {
		if inst.State == appstate.StateHealthy {
			oldHealthy++
		}
	}
	floor := max(app.Spec.Replicas-wants.Unavailable, 0)
	var out []events.Event
	for _, inst := range old[:excess] {
		if inst.State == appstate.StateHealthy {
			if targetHealthy+oldHealthy-1 < floor {
				break
			}
			oldHealthy--
		}
		out = append(out, unschedule(app.Name, inst, ReasonReplaced(app.Target)))
	}
	return out
}

func stopAll(app *appstate.App, ids []string, limit int) Decision {
	var d Decision
	for _, id := range ids {
		inst := app.Instances[id]
		if inst.State == appstate.StateUnscheduled {
			continue
		}
		if len(d.Events) == limit {
			d.More = true
			break
		}
		d.Events = append(d.Events, unschedule(app.Name, inst, ReasonAppStopped))
	}
	return d
}

func unschedule(app string, inst appstate.Instance, reason string) events.Event {
	return events.InstanceUnscheduled{App: app, Instance: inst.ID, Host: inst.Host, Reason: reason}
}

// hostGone says why an instance's host can't run it, "" if it can.
func hostGone(hosts map[string]bool, host string) string {
	lost, known := hosts[host]
	switch {
	case !known:
		return placement.ReasonHostUnknown
	case lost:
		return placement.ReasonHostLost
	}
	return ""
}

// ownState maps an instance of the app being planned to placement's states:
// dead instances are replaced, unscheduled ones hold their resources until
// the agent reports them stopped.
func ownState(s string) string {
	switch s {
	case appstate.StateScheduled:
		return placement.StateScheduled
	case appstate.StateRunning:
		return placement.StateRunning
	case appstate.StateHealthy:
		return placement.StateHealthy
	case appstate.StateUnhealthy:
		return placement.StateFailed
	case appstate.StateExited:
		return placement.StateExited
	case appstate.StateUnscheduled:
		return placement.StateStopping
	}
	return s // placement treats unknown states as live: never over-commits
}

// otherState maps an instance that only occupies capacity: an unhealthy
// container still runs, and holds its resources until it is removed.
func otherState(s string) string {
	if s == appstate.StateUnhealthy {
		return placement.StateStopping
	}
	return ownState(s)
}

// freshIDs wraps gen to skip IDs the app already has in any version.
func freshIDs(app *appstate.App, gen func() string) func() string {
	if gen == nil {
		gen = placement.NewIDs(app.Name)
	}
	return func() string {
		for range 64 {
			id := gen()
			if _, used := app.Instances[id]; !used {
				return id
			}
		}
		return "" // placement gives up on empty IDs and says so
	}
}

// countingIDs generates <app>-000001, <app>-000002, ...: cheap IDs for a
// decision that is never appended.
func countingIDs(app string) func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("%s-%06x", app, n)
	}
}
