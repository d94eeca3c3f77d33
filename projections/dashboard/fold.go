package dashboard

import (
	"sort"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// foldApp folds an app's recorded events with the command side's own
// aggregate, so the time slider shows exactly the state commands decided
// on. It is the dashboard's only use of the aggregate: when the aggregate
// moves package, this function is all that changes.
func foldApp(name string, recs []events.Recorded) Snapshot {
	a := appstate.NewApp(name)
	for _, r := range recs {
		a.Apply(r)
	}
	s := Snapshot{App: name, Exists: a.Exists, Stopped: a.Stopped, Version: a.Version,
		Image: a.Spec.Image, Replicas: a.Spec.Replicas, Domains: a.Domains, Deny: a.Deny,
		PlacementFailure: a.LastPlacementFailure, Seq: a.Seq}
	for _, i := range a.Instances {
		s.Instances = append(s.Instances, InstanceAt{ID: i.ID, Version: i.Version, Host: i.Host,
			HostAddr: i.HostAddr, HostPort: i.HostPort, State: i.State, Registered: i.Registered, Live: i.Live(),
			Healthy: i.State == appstate.StateHealthy})
	}
	return s.sorted()
}

// Snapshot is an app as the event log says it was after some event.
type Snapshot struct {
	App              string
	Exists, Stopped  bool
	Version          int
	Image            string
	Replicas         int
	Domains, Deny    []string
	PlacementFailure []string
	Instances        []InstanceAt
	// Seq is the stream sequence of the last event folded in.
	Seq uint64
}

// InstanceAt is one instance in a Snapshot.
type InstanceAt struct {
	ID, Host, HostAddr, State string
	Version, HostPort         int
	// Registered: taking traffic through the gateway.
	Registered bool
	// Live: counts toward the replicas; Healthy: passed its health
	// checks and not failed since (as the read models count it).
	Live, Healthy bool
	// Reason is the last thing the log said went wrong with it.
	Reason string
}

func (s Snapshot) sorted() Snapshot {
	sort.Slice(s.Instances, func(i, j int) bool { return s.Instances[i].ID < s.Instances[j].ID })
	return s
}

// LiveCount counts instances that count toward the replicas.
func (s Snapshot) LiveCount() int { return s.count(func(i InstanceAt) bool { return i.Live }) }

// HealthyCount counts healthy instances.
func (s Snapshot) HealthyCount() int {
	return s.count(func(i InstanceAt) bool { return i.Healthy })
}

func (s Snapshot) count(keep func(InstanceAt) bool) int {
	n := 0
	for _, i := range s.Instances {
		if keep(i) {
			n++
		}
	}
	return n
}
