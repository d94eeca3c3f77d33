package scheduler

import (
	"context"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

// observe runs after each event is folded into the view. Once the view
// has replayed history, it marks the apps an event may unsettle and queues
// port claims to release; until then the first full resync covers both.
func (s *Scheduler) observe(r events.Recorded) {
	s.seen.advance(r.Sequence)
	if !s.ready.Load() {
		return
	}
	switch e := r.Event.(type) {
	case events.AppDeployed:
		s.mark(e.App)
	case events.AppScaled:
		s.mark(e.App)
	case events.AppStopped:
		s.mark(e.App)
	case events.RolloutStarted, events.RolloutStepped, events.RolloutSucceeded, events.RolloutRolledBack,
		events.RolloutFailed, events.RolloutSuperseded, events.RolloutPaused, events.RolloutResumed:
		s.mark(e.Aggregate().ID)
	case events.InstanceExited:
		if e.PortTaken() {
			s.blocked.add(e.Instance)
		}
		s.crashes.failed(e.App, s.now())
		s.mark(e.App)
	case events.InstanceHealthFailed:
		s.crashes.failed(e.App, s.now())
		s.mark(e.App)
	case events.EndpointRegistered:
		s.crashes.healthy(e.App)
		// A rollout waits for the new version to be healthy.
		s.mark(e.App)
	case events.InstanceStopped:
		if !s.blocked.take(e.Instance) {
			s.release(e.Instance)
		}
		s.mark(e.App)
	case events.InstanceUnscheduled:
		// A lost host won't report the container stopped.
		lost := false
		s.view.Read(func(v *clusterview.View) {
			h := v.Hosts[e.Host]
			lost = h == nil || h.Lost
		})
		if lost {
			s.release(e.Instance)
		}
	case events.HostLost:
		s.mark(s.appsWhere(func(a *appstate.App, _ map[string]*clusterview.Host) bool { return onHost(a, e.Host) })...)
	case events.HostRegistered:
		// New capacity may fit what did not fit before.
		s.mark(s.appsWhere(shortOf)...)
	}
}

func (s *Scheduler) appsWhere(pred func(*appstate.App, map[string]*clusterview.Host) bool) []string {
	var names []string
	s.view.Read(func(v *clusterview.View) {
		for name, app := range v.Apps {
			if pred(app, v.Hosts) {
				names = append(names, name)
			}
		}
	})
	return names
}

func (s *Scheduler) release(instance string) {
	s.mu.Lock()
	s.releases[instance] = struct{}{}
	s.mu.Unlock()
	s.wake()
}

// releaseStopped releases the claims of instances that are gone. A claim
// not in the mirror yet is left to collect.
func (s *Scheduler) releaseStopped(ctx context.Context) {
	s.mu.Lock()
	ids := make([]string, 0, len(s.releases))
	for id := range s.releases {
		ids = append(ids, id)
	}
	clear(s.releases)
	s.mu.Unlock()
	for _, id := range ids {
		key, rev, ok := s.claims.owned(id)
		if !ok {
			continue
		}
		if err := s.claims.release(ctx, key, rev); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("release port claim", "instance", id, "key", key, "err", err)
		}
	}
}

// collect releases claims that no instance in the view holds (stopped,
// unscheduled on a lost host, or never appended) once they are older than
// the grace period, which covers a decision still being appended. It also
// restores the claim of an instance that has none (its append looked
// failed but went through, or its claim was collected while the view
// lagged), so other schedulers keep off its port.
func (s *Scheduler) collect(ctx context.Context) {
	held := map[string]string{} // claim key -> instance
	s.view.Read(func(v *clusterview.View) {
		for _, app := range v.Apps {
			for id, inst := range app.Instances {
				if inst.HostPort == 0 {
					continue
				}
				if h := v.Hosts[inst.Host]; inst.State == appstate.StateUnscheduled && (h == nil || h.Lost) {
					continue
				}
				held[ClaimKey(inst.Host, inst.HostPort)] = id
			}
		}
	})
	now := s.now()
	live := s.claims.live()
	collected, restored := 0, 0
	for key, cl := range live {
		if held[key] == cl.instance || now.Sub(cl.created) < s.cfg.ClaimGrace {
			continue
		}
		if err := s.claims.release(ctx, key, cl.rev); err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("collect port claim", "key", key, "err", err)
			}
			continue
		}
		collected++
	}
	for key, id := range held {
		if cl, ok := live[key]; ok {
			if cl.instance != id {
				s.cfg.Logger.Warn("port claimed by another instance", "key", key, "instance", id, "claimed_by", cl.instance)
			}
			continue
		}
		_, ok, err := s.claims.create(ctx, key, id)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("restore port claim", "key", key, "err", err)
			}
			continue
		}
		if ok {
			restored++
		}
	}
	if collected > 0 || restored > 0 {
		s.cfg.Logger.Info("port claims collected and restored", "collected", collected, "restored", restored)
	}
}
