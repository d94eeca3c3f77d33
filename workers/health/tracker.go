package health

import (
	"fmt"
	"time"
)

// Result is the outcome of one probe: OK, or what went wrong ("404",
// "connection refused") as Detail.
type Result struct {
	OK bool
	// Misconfigured: the instance answered with a client error (404 on
	// the health path, 401, ...), which waiting for it to start won't
	// fix, unlike a refused connection, a timeout or a 503 while warming up.
	Misconfigured bool
	Detail        string
}

// Action is what a probe result calls for.
type Action int

// The actions.
const (
	// None: nothing to tell anyone.
	None Action = iota
	// Register: the instance passed and is not an endpoint yet.
	Register
	// Fail: the instance is unhealthy; Reason says why.
	Fail
)

// Observation is one probe result with what the view says of the instance.
type Observation struct {
	Result
	// Registered: the instance is an endpoint already.
	Registered bool
	Now        time.Time
}

// Tracker is the per-instance memory of the probe sequence. Before the
// first pass an instance is starting and only the start deadline can fail
// it; once it has passed, Threshold consecutive failures do.
type Tracker struct {
	// Check names the probe in reasons: "GET /_ping".
	Check     string
	Threshold int
	// Deadline is when a starting instance must have passed by.
	Deadline time.Time
	// StartWindow is the start deadline as a duration, for the reason.
	StartWindow time.Duration

	passed   bool
	failures int
	failed   bool
}

// Observe folds one probe result in and returns what to do. A decided
// failure is decided once: the instance leaves the probed set after it.
func (t *Tracker) Observe(o Observation) (Action, string) {
	if t.failed {
		return None, ""
	}
	if o.Registered {
		t.passed = true
	}
	if o.OK {
		t.passed, t.failures = true, 0
		if !o.Registered {
			return Register, ""
		}
		return None, ""
	}
	if !t.passed && !o.Misconfigured {
		// Still starting: only the deadline can fail it, and a later
		// answered failure streak starts from zero.
		t.failures = 0
	} else {
		t.failures++
	}
	threshold := max(t.Threshold, 1)
	switch {
	case t.passed && t.failures >= threshold:
		t.failed = true
		return Fail, fmt.Sprintf("%d consecutive failed checks: %s: %s", t.failures, t.Check, o.Detail)
	case !t.passed && o.Misconfigured && t.failures >= threshold:
		// A health path that 404s is not "still starting": it fails like
		// a running instance would.
		t.failed = true
		return Fail, fmt.Sprintf("%d consecutive failed checks before ever passing: %s: %s", t.failures, t.Check, o.Detail)
	case !t.passed && !o.Now.Before(t.Deadline):
		t.failed = true
		return Fail, fmt.Sprintf("never passed a health check within %s: %s: %s", t.StartWindow, t.Check, o.Detail)
	}
	return None, ""
}

// Retry forgets a decided failure that could not be sent, so the next
// failing probe decides it again.
func (t *Tracker) Retry() { t.failed = false }
