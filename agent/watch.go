package agent

import (
	"context"

	"github.com/berth-dev/berth/agent/dockerrt"
)

// watchLoop turns Docker's container events into instance work. The
// runtime reconnects by itself and says so with EventResync, after which
// events may have been missed (containers killed by an engine restart):
// everything is reconciled.
func (a *Agent) watchLoop(ctx context.Context) {
	for ev := range a.rt.Watch(ctx, a.cfg.HostID) {
		a.log.Debug("container event", "kind", ev.Kind, "instance", ev.Instance, "container", short(ev.ContainerID))
		switch ev.Kind {
		case dockerrt.EventResync:
			a.requestReconcile()
		case dockerrt.EventStarted, dockerrt.EventExited:
			// Before the history is replayed, the reconcile that follows
			// it covers these.
			if ev.Instance != "" && a.isReady() {
				a.queue.Add(ev.Instance)
			}
		}
	}
}
