package hostwatch

import "time"

// observer is the judge's record of what it has seen of the heartbeat
// bucket, and of its own disruptions. Local times come from the judge's
// monotonic clock, bus times from the bucket's timestamps. Not safe for
// concurrent use.
type observer struct {
	beats map[string]beat
	// anchor: the bus time and local time of the observation that puts
	// the bus's clock furthest ahead (see busNow).
	anchorBus, anchorLocal time.Time
	// lastLocal is when the latest observation arrived.
	lastLocal time.Time
	// freshSince is when the current undisturbed view began; zero while
	// disrupted.
	freshSince time.Time
}

type beat struct {
	stored   time.Time // bus time
	revision uint64
}

func newObserver() *observer { return &observer{beats: map[string]beat{}} }

// beat records a heartbeat entry stored at bus time stored with revision
// rev, seen at local time local, and reports whether it is newer than what
// was known of the host.
func (o *observer) beat(host string, stored time.Time, rev uint64, local time.Time) bool {
	o.lastLocal = local
	o.tick(stored, local)
	if b, ok := o.beats[host]; ok && b.revision >= rev {
		return false
	}
	o.beats[host] = beat{stored: stored, revision: rev}
	return true
}

// tick learns that the bus's time was at least stored at local time local.
func (o *observer) tick(stored, local time.Time) {
	if stored.IsZero() {
		return
	}
	if o.anchorLocal.IsZero() || stored.After(o.busNow(local)) {
		o.anchorBus, o.anchorLocal = stored, local
	}
}

// busNow estimates the bus's time at local time local: the bus time of an
// observation plus the local time elapsed since it arrived. Delivery delay
// only makes this late, so silence is never overestimated; the
// observation that gives the latest estimate is kept.
func (o *observer) busNow(local time.Time) time.Time {
	if o.anchorLocal.IsZero() {
		return time.Time{}
	}
	return o.anchorBus.Add(local.Sub(o.anchorLocal))
}

// disrupted marks the judge's view broken: what it missed meanwhile is
// unknown, so a new grace period starts when it resumes.
func (o *observer) disrupted() { o.freshSince = time.Time{} }

// resumed marks the view whole again at local time local (a no-op if it
// was not disrupted).
func (o *observer) resumed(local time.Time) {
	if o.freshSince.IsZero() {
		o.freshSince = local
	}
}

// fresh is how long the view has been undisturbed at local time local.
func (o *observer) fresh(local time.Time) time.Duration {
	if o.freshSince.IsZero() {
		return 0
	}
	return local.Sub(o.freshSince)
}

// quietFor is how long nothing has arrived, at local time local.
func (o *observer) quietFor(local time.Time) time.Duration {
	if o.lastLocal.IsZero() {
		return 0
	}
	return local.Sub(o.lastLocal)
}
