package hostwatch

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"
)

// Host is what the watcher knows of one host.
type Host struct {
	ID string
	// Registered is the time of its latest HostRegistered.
	Registered time.Time
	// LastBeat is when its latest heartbeat was written (zero if none).
	LastBeat time.Time
	Lost     bool
}

// LastSeen is the later of its registration and its last heartbeat.
func (h Host) LastSeen() time.Time {
	if h.LastBeat.After(h.Registered) {
		return h.LastBeat
	}
	return h.Registered
}

// Stale returns a HostLost for every host not lost yet and not seen for
// longer than timeout, unless the heartbeat watch began (watching) less
// than grace ago: until then, silence may just be heartbeats not read yet.
func Stale(hosts []Host, now, watching time.Time, timeout, grace time.Duration) []events.HostLost {
	if watching.IsZero() || now.Sub(watching) < grace {
		return nil
	}
	var out []events.HostLost
	for _, h := range hosts {
		if h.Lost || now.Sub(h.LastSeen()) <= timeout {
			continue
		}
		out = append(out, events.HostLost{Host: h.ID, LastSeen: h.LastSeen().UTC()})
	}
	slices.SortFunc(out, func(a, b events.HostLost) int { return strings.Compare(a.Host, b.Host) })
	return out
}

// settled re-checks a decision against the host's stored history: there
// is nothing to declare if the host is already lost, unknown, or
// registered again within timeout of now.
func settled(history []events.Recorded, now time.Time, timeout time.Duration) bool {
	for i := len(history) - 1; i >= 0; i-- {
		switch history[i].Event.(type) {
		case events.HostLost:
			return true
		case events.HostRegistered:
			return now.Sub(history[i].Time) <= timeout
		}
	}
	return true
}

var errWatchClosed = errors.New("heartbeat watch closed")
