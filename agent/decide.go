package agent

import "github.com/berth-dev/berth/agent/dockerrt"

// action is the one thing the agent does next for an instance.
type action int

const (
	actNone action = iota
	// actRun creates and starts the container, then reports it started
	// (or reports the failure as an exit).
	actRun
	actReportStarted
	// actReportExited reports an exit the agent has not reported yet.
	actReportExited
	// actStop stops and removes the container, then reports it stopped.
	actStop
	// actReportStopped reports an unscheduled instance that has no
	// container (any more) as stopped.
	actReportStopped
	// actRemoveOrphan stops and removes a container no instance claims.
	actRemoveOrphan
)

var actionNames = [...]string{"none", "run", "report started", "report exited", "stop", "report stopped", "remove orphan"}

func (a action) String() string { return actionNames[a] }

// decide compares what the events want for an instance (inst, nil when
// unknown or forgotten) with its container (c, nil when there is none).
// It is pure. The agent never restarts a container that exited: the
// platform decides what replaces it.
func decide(inst *instance, c *dockerrt.Container) action {
	switch {
	case inst == nil && c == nil:
		return actNone
	case inst == nil:
		return actRemoveOrphan
	case !inst.desired() && c != nil:
		return actStop
	case !inst.desired():
		return actReportStopped
	case c == nil || c.State == "created":
		// "created" is a run cut short (the agent died between create and
		// start); Run replaces it.
		if inst.exited {
			return actNone
		}
		return actRun
	case c.Running:
		if inst.exited || inst.started == c.ID {
			return actNone
		}
		return actReportStarted
	case c.State == "exited" || c.State == "dead":
		if inst.exited {
			return actNone
		}
		return actReportExited
	default:
		// paused, restarting, removing: the engine is mid-change; its next
		// event brings the instance back here.
		return actNone
	}
}
