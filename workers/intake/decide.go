package intake

import (
	"errors"
	"fmt"
	"maps"

	"github.com/berth-dev/berth/events"
)

// Claim is one fact an agent published: the host its credential confines
// it to, the public subject it claims for, and what it says.
type Claim struct {
	Host    string
	Subject string
	Event   events.Event
}

// ErrRejected marks a claim the platform does not act on.
var ErrRejected = errors.New("claim rejected")

func reject(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// Check accepts a claim only for a kind agents may report, on the subject
// that event belongs on, about the claiming host itself. For instance
// facts, assignedHost is the host the instance was scheduled on ("" when
// the app's history has no such instance).
func Check(c Claim, assignedHost string) error {
	if c.Event == nil {
		return reject("undecodable event")
	}
	if want := c.Event.Aggregate().Subject(c.Event.Kind()); c.Subject != want {
		return reject("subject %s does not match the event (%s)", c.Subject, want)
	}
	var host, instance string
	switch e := c.Event.(type) {
	case events.HostRegistered:
		if e.Host != c.Host {
			return reject("host %s registers %s", c.Host, e.Host)
		}
		return nil
	case events.InstanceStarted:
		host, instance = e.Host, e.Instance
	case events.InstanceExited:
		host, instance = e.Host, e.Instance
	case events.InstanceStopped:
		host, instance = e.Host, e.Instance
	default:
		return reject("agents may not report %s", events.TypeOf(c.Event))
	}
	if host != c.Host {
		return reject("host %s reports for host %s", c.Host, host)
	}
	if assignedHost != c.Host {
		return reject("instance %s is not assigned to host %s", instance, c.Host)
	}
	return nil
}

// instanceOf names the instance an instance fact is about ("" for others).
func instanceOf(e events.Event) string {
	switch e := e.(type) {
	case events.InstanceStarted:
		return e.Instance
	case events.InstanceExited:
		return e.Instance
	case events.InstanceStopped:
		return e.Instance
	}
	return ""
}

// AssignedHost folds an app's history for the host instance was scheduled on.
func AssignedHost(history []events.Recorded, instance string) string {
	host := ""
	for _, r := range history {
		if s, ok := r.Event.(events.InstanceScheduled); ok && s.Instance == instance {
			host = s.Host
		}
	}
	return host
}

// hostHistory is what a host's history says about its registration.
type hostHistory struct {
	last *events.HostRegistered
	lost bool
}

func foldHost(recs []events.Recorded) hostHistory {
	var h hostHistory
	for _, r := range recs {
		switch e := r.Event.(type) {
		case events.HostRegistered:
			h.last, h.lost = &e, false
		case events.HostLost:
			h.lost = true
		}
	}
	return h
}

// NeedsRegistration: never registered, registered differently, or lost
// since (the host came back).
func NeedsRegistration(history []events.Recorded, want events.HostRegistered) bool {
	h := foldHost(history)
	return h.last == nil || h.lost || !sameRegistration(*h.last, want)
}

func sameRegistration(a, b events.HostRegistered) bool {
	return a.Host == b.Host && a.Addr == b.Addr && a.Zone == b.Zone &&
		a.CPUs == b.CPUs && a.MemoryBytes == b.MemoryBytes &&
		a.PortMin == b.PortMin && a.PortMax == b.PortMax &&
		maps.Equal(a.Labels, b.Labels) // nil and empty are equal
}
