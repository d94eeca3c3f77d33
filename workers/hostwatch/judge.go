package hostwatch

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"
)

// Host is what the watcher knows of one host. Times are in the bus's
// time base (the heartbeat bucket's timestamps), except Registered, which
// is the registration event's time.
type Host struct {
	ID string
	// Registered is the time of its latest HostRegistered.
	Registered time.Time
	// LastBeat is when the bucket stored its latest heartbeat (zero if none).
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

// View is what the judge sees at one moment.
type View struct {
	Hosts []Host
	// BusNow is the bus's time now, as the judge estimates it (see
	// observer.busNow): silence is measured against it, never against the
	// judge's own clock.
	BusNow time.Time
	// Fresh is how long the judge has watched the heartbeats without a
	// disruption of its own (a broken or stalled watch); 0 while disrupted.
	Fresh time.Duration
}

// Rules are the judge's thresholds.
type Rules struct {
	// Timeout is the silence after which a host is lost.
	Timeout time.Duration
	// Grace is how long the judge must have watched undisturbed before
	// it declares anyone lost.
	Grace time.Duration
	// MassSilence is the share of hosts (not lost yet) at or above which,
	// when that many are silent at once, none is declared lost.
	MassSilence float64
}

// Verdict is what the judge decided.
type Verdict struct {
	// Lost are the hosts to declare lost, sorted, with their evidence.
	Lost []events.HostLost
	// Held are silent hosts not declared lost because of mass silence.
	Held []events.HostLossHeld
	// Waiting says why nothing could be judged (empty when judged).
	Waiting string
}

// Judge declares lost every host silent for longer than the timeout, unless
// its own view is too young or disrupted to tell silence from not having
// looked, or so many hosts are silent at once that the bus is the likelier
// cause (Kubernetes' node lifecycle controller likewise stops evicting
// when a zone's share of unhealthy nodes passes its threshold).
func Judge(v View, r Rules) Verdict {
	if v.Fresh <= 0 {
		return Verdict{Waiting: "not watching heartbeats (watch starting or disrupted)"}
	}
	if v.Fresh < r.Grace {
		return Verdict{Waiting: fmt.Sprintf("watching heartbeats undisturbed for %s only, grace is %s", v.Fresh.Round(time.Millisecond), r.Grace)}
	}
	var silent []Host
	alive := 0
	for _, h := range v.Hosts {
		if h.Lost {
			continue
		}
		alive++
		if v.BusNow.Sub(h.LastSeen()) > r.Timeout {
			silent = append(silent, h)
		}
	}
	slices.SortFunc(silent, func(a, b Host) int { return strings.Compare(a.ID, b.ID) })
	observed := v.BusNow.Add(-v.Fresh).UTC()
	var out Verdict
	if len(silent) > 0 && float64(len(silent)) >= r.MassSilence*float64(alive) {
		reason := fmt.Sprintf("%d of %d hosts silent at once (threshold %.0f%%): the bus or the judge's view of it is the likelier cause; none declared lost",
			len(silent), alive, 100*r.MassSilence)
		for _, h := range silent {
			out.Held = append(out.Held, events.HostLossHeld{Host: h.ID, LastSeen: h.LastSeen().UTC(), Judged: v.BusNow.UTC(),
				Silent: len(silent), Hosts: alive, Threshold: r.MassSilence, Reason: reason})
		}
		return out
	}
	for _, h := range silent {
		out.Lost = append(out.Lost, events.HostLost{Host: h.ID, LastSeen: h.LastSeen().UTC(), Judged: v.BusNow.UTC(),
			ObservedSince: observed, Silent: len(silent), Hosts: alive})
	}
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

// heldAlready: the host's last event records this same silence as held
// (another watcher, or this one, said so), or the host is lost or unknown.
func heldAlready(history []events.Recorded, held events.HostLossHeld) bool {
	for i := len(history) - 1; i >= 0; i-- {
		switch e := history[i].Event.(type) {
		case events.HostLossHeld:
			return e.LastSeen.Equal(held.LastSeen)
		case events.HostLost:
			return true
		case events.HostRegistered:
			return false
		}
	}
	return true
}
