package assign

import "github.com/berth-dev/berth/events"

// HostOf says which host an event is about, if any: the instance
// lifecycle events name the host running the instance, host events are
// their host's. Everything else (specs, scaling, routing) stays off the
// per-host subjects.
func HostOf(e events.Event) (string, bool) {
	var host string
	switch e := e.(type) {
	case events.InstanceScheduled:
		host = e.Host
	case events.InstanceUnscheduled:
		host = e.Host
	case events.InstanceStarted:
		host = e.Host
	case events.InstanceExited:
		host = e.Host
	case events.InstanceStopped:
		host = e.Host
	case events.HostRegistered, events.HostLost:
		host = e.Aggregate().ID
	}
	return host, host != ""
}
