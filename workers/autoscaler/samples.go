package autoscaler

import (
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// samples holds the latest sample of every instance and gateway, per app,
// stamped with when it arrived here: hosts' clocks may disagree, and only
// arrival says how fresh a sample is to us. Agents and gateways already
// average over their own period, so the latest sample is the measure.
// Safe for concurrent use: NATS callbacks add while the loop reads.
type samples struct {
	mu   sync.Mutex
	apps map[string]*appSamples
}

type appSamples struct {
	instances map[string]stamped[events.InstanceSample]
	gateways  map[string]stamped[events.GatewaySample]
}

type stamped[T any] struct {
	at     time.Time
	sample T
}

func newSamples() *samples { return &samples{apps: map[string]*appSamples{}} }

func (s *samples) app(name string) *appSamples {
	a, ok := s.apps[name]
	if !ok {
		a = &appSamples{instances: map[string]stamped[events.InstanceSample]{}, gateways: map[string]stamped[events.GatewaySample]{}}
		s.apps[name] = a
	}
	return a
}

func (s *samples) addInstance(app string, smp events.InstanceSample, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app(app).instances[smp.Instance] = stamped[events.InstanceSample]{at, smp}
}

func (s *samples) addGateway(app string, smp events.GatewaySample, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app(app).gateways[smp.Gateway] = stamped[events.GatewaySample]{at, smp}
}

// reading measures app at now from the samples that arrived within stale:
// the mean CPU% over instances in live, and over gateways the summed rps
// and worst p50 and p95 (each gateway sees only its share of the traffic).
func (s *samples) reading(app string, live map[string]bool, now time.Time, stale time.Duration) Reading {
	r := Reading{Time: now, Live: len(live)}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[app]
	if !ok {
		return r
	}
	fresh := func(at time.Time) bool { return now.Sub(at) <= stale }
	for id, st := range a.instances {
		if live[id] && fresh(st.at) {
			r.CPU += st.sample.CPUPercent
			r.Reporting++
		}
	}
	if r.Reporting > 0 {
		r.CPU /= float64(r.Reporting)
	}
	for _, st := range a.gateways {
		if fresh(st.at) {
			r.RPS += st.sample.RPS
			r.P50MS = max(r.P50MS, st.sample.P50MS)
			r.P95MS = max(r.P95MS, st.sample.P95MS)
			r.Gateways++
		}
	}
	return r
}

// expire forgets samples older than stale, and apps left with none.
func (s *samples) expire(now time.Time, stale time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, a := range s.apps {
		for id, st := range a.instances {
			if now.Sub(st.at) > stale {
				delete(a.instances, id)
			}
		}
		for id, st := range a.gateways {
			if now.Sub(st.at) > stale {
				delete(a.gateways, id)
			}
		}
		if len(a.instances) == 0 && len(a.gateways) == 0 {
			delete(s.apps, name)
		}
	}
}
