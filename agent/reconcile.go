package agent

import (
	"context"
	"time"
)

// requestReconcile asks for every instance and container of the host to
// be looked at again; requests made while one is pending coalesce.
func (a *Agent) requestReconcile() {
	select {
	case a.resync <- struct{}{}:
	default:
	}
}

// reconcileLoop runs requested reconciles once the app history is
// replayed: deciding earlier would remove containers of instances whose
// scheduling has not been read yet.
func (a *Agent) reconcileLoop(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-a.ready:
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.resync:
		}
		if !untilOK(ctx, a.log, "reconcile failed", func() error { return a.reconcile(ctx) }) {
			return
		}
	}
}

// reconcile queues every known instance and every container of the host;
// each is then brought in line on its own (see sync).
func (a *Agent) reconcile(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute+a.cfg.StopTimeout)
	defer cancel()
	cs, err := a.rt.List(ctx, a.cfg.HostID)
	if err != nil {
		return err
	}
	a.mu.Lock()
	ids := make(map[string]bool, len(a.state.instances)+len(cs))
	for id := range a.state.instances {
		ids[id] = true
	}
	a.mu.Unlock()
	running := 0
	for _, c := range cs {
		if c.Running {
			running++
		}
		if c.Instance != "" {
			ids[c.Instance] = true
			continue
		}
		// Labelled for this host but for no instance: nothing will ever
		// claim it.
		a.log.Info("removing unnamed orphan container", "container", short(c.ID))
		if err := a.rt.Stop(ctx, c.ID, a.cfg.StopTimeout); err != nil {
			return err
		}
	}
	a.running.Store(int64(running))
	a.log.Info("reconciling", "instances", len(ids), "containers", len(cs))
	for id := range ids {
		a.queue.Add(id)
	}
	return nil
}
