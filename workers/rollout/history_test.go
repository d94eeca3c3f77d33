package rollout_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
	"github.com/berth-dev/berth/workers/rollout"
)

// t0 is the origin of every history; times in tests are seconds after it.
var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// history builds an app's state the way production does: by folding
// recorded events, the commands' own decisions included, with their times.
type history struct {
	t   *testing.T
	app *appstate.App
	seq uint64
}

func newHistory(t *testing.T) *history {
	t.Helper()
	return &history{t: t, app: appstate.NewApp("web")}
}

// at folds events recorded sec seconds after t0.
func (h *history) at(sec float64, evs ...events.Event) *history {
	for _, e := range evs {
		h.seq++
		h.app.Apply(events.Recorded{Envelope: events.Envelope{Time: at(sec)}, Event: e, Sequence: h.seq})
	}
	return h
}

// do decides a command on the state at sec and folds what it returns.
func (h *history) do(sec float64, decide func(*appstate.App) ([]events.Event, error)) []events.Event {
	h.t.Helper()
	evs, err := decide(h.app.Clone())
	if err != nil {
		h.t.Fatalf("command at %gs: %v", sec, err)
	}
	h.at(sec, evs...)
	return evs
}

// deploy runs `berth deploy web --image image --replicas n` with options.
func (h *history) deploy(sec float64, image string, replicas int, o commands.RolloutOptions) *history {
	h.t.Helper()
	h.do(sec, commands.Deploy{App: "web", Image: image, Replicas: &replicas, RolloutOptions: o}.Decide)
	return h
}

// up schedules, starts and registers instances of version at sec: they are
// healthy since sec.
func (h *history) up(sec float64, version int, ids ...string) *history {
	for _, id := range ids {
		h.at(sec,
			events.InstanceScheduled{App: "web", Instance: id, Version: version, Host: "h1", HostAddr: "10.0.0.1", HostPort: 20000},
			events.InstanceStarted{App: "web", Instance: id, Host: "h1", ContainerID: "c-" + id},
			events.EndpointRegistered{App: "web", Instance: id, Host: "h1", Addr: "10.0.0.1:20000"})
	}
	return h
}

// started schedules and starts instances that are not healthy yet.
func (h *history) started(sec float64, version int, ids ...string) *history {
	for _, id := range ids {
		h.at(sec,
			events.InstanceScheduled{App: "web", Instance: id, Version: version, Host: "h1"},
			events.InstanceStarted{App: "web", Instance: id, Host: "h1", ContainerID: "c-" + id})
	}
	return h
}

func (h *history) sick(sec float64, ids ...string) *history {
	for _, id := range ids {
		h.at(sec, events.InstanceHealthFailed{App: "web", Instance: id, Reason: "GET /_ping: 500", Source: "health-worker"})
	}
	return h
}

func (h *history) exit(sec float64, ids ...string) *history {
	for _, id := range ids {
		h.at(sec, events.InstanceExited{App: "web", Instance: id, Host: "h1", ExitCode: 2})
	}
	return h
}

// gone unschedules and stops instances.
func (h *history) gone(sec float64, ids ...string) *history {
	for _, id := range ids {
		h.at(sec, events.InstanceUnscheduled{App: "web", Instance: id, Host: "h1", Reason: "replaced"},
			events.InstanceStopped{App: "web", Instance: id, Host: "h1"})
	}
	return h
}

// decide runs the rollout decision at sec with traffic (nil: none).
func (h *history) decide(sec float64, traffic func(time.Time) rollout.Traffic) events.Event {
	return rollout.Decide(rollout.Input{App: h.app.Clone(), Now: at(sec), Traffic: traffic})
}

// step decides at sec as the worker does and folds what was decided.
func (h *history) step(sec float64, traffic func(time.Time) rollout.Traffic) events.Event {
	e := h.decide(sec, traffic)
	if e != nil {
		h.at(sec, e)
	}
	return e
}

// serving is app web with release 1 (image v1) succeeded and serving
// replicas healthy instances a1.., healthy since 1s; the next deploy is at
// 100s.
func serving(t *testing.T, replicas int) *history {
	t.Helper()
	h := newHistory(t).deploy(0, "berth-testapp:v1", replicas, commands.RolloutOptions{})
	for i := 1; i <= replicas; i++ {
		h.up(1, 1, fmt.Sprintf("a%d", i))
	}
	if e := h.step(10, nil); replicas > 0 {
		if _, ok := e.(events.RolloutSucceeded); !ok {
			t.Fatalf("first release: got %#v, want RolloutSucceeded", e)
		}
	}
	return h
}

// flat is traffic of requests answers, errors of them 5xx, all in the
// latency bucket bounded by ms.
func flat(requests, errors int64, ms float64) rollout.Traffic {
	return rollout.Traffic{Requests: requests, Errors: errors, Latency: latency(map[float64]int64{ms: requests})}
}

// latency lays counts by bucket bound out as events.LatencyBoundsMS.
func latency(counts map[float64]int64) []int64 {
	out := make([]int64, len(events.LatencyBoundsMS)+1)
	for ms, n := range counts {
		found := false
		for i, b := range events.LatencyBoundsMS {
			if b == ms {
				out[i] += n
				found = true
			}
		}
		if !found {
			panic(fmt.Sprintf("%gms is not a latency bucket bound", ms))
		}
	}
	return out
}

// always returns the same traffic whatever the interval.
func always(tr rollout.Traffic) func(time.Time) rollout.Traffic {
	return func(time.Time) rollout.Traffic { return tr }
}

// withoutReason clears what is prose so decisions compare by value.
func withoutReason(e events.Event) events.Event {
	switch e := e.(type) {
	case events.RolloutStepped:
		e.Reason = ""
		return e
	case events.RolloutSucceeded:
		e.Reason = ""
		return e
	case events.RolloutRolledBack:
		e.Reason = ""
		return e
	case events.RolloutFailed:
		e.Reason = ""
		return e
	}
	return e
}

func reasonOf(e events.Event) string {
	switch e := e.(type) {
	case events.RolloutStepped:
		return e.Reason
	case events.RolloutSucceeded:
		return e.Reason
	case events.RolloutRolledBack:
		return e.Reason
	case events.RolloutFailed:
		return e.Reason
	}
	return ""
}
