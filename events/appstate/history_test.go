package appstate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// history builds an app's state as production does: events, the commands'
// own decisions included, go through their CloudEvents envelope and are
// folded in with the time they were recorded at.
type history struct {
	t   *testing.T
	app *appstate.App
	seq uint64
}

func newHistory(t *testing.T) *history {
	return &history{t: t, app: appstate.NewApp("web")}
}

func (h *history) at(sec float64, evs ...events.Event) *history {
	h.t.Helper()
	for _, e := range evs {
		env, err := events.Wrap(e, "test", "", at(sec))
		if err != nil {
			h.t.Fatalf("wrap %T: %v", e, err)
		}
		body, err := json.Marshal(env)
		if err != nil {
			h.t.Fatal(err)
		}
		env, decoded, err := events.Decode(body)
		if err != nil {
			h.t.Fatalf("decode %T: %v", e, err)
		}
		h.seq++
		h.app.Apply(events.Recorded{Envelope: env, Event: decoded, Sequence: h.seq})
	}
	return h
}

func (h *history) do(sec float64, decide func(*appstate.App) ([]events.Event, error)) *history {
	h.t.Helper()
	evs, err := decide(h.app.Clone())
	if err != nil {
		h.t.Fatalf("command at %gs: %v", sec, err)
	}
	return h.at(sec, evs...)
}

func (h *history) deploy(sec float64, image string, replicas int, o commands.RolloutOptions) *history {
	h.t.Helper()
	return h.do(sec, commands.Deploy{App: "web", Image: image, Replicas: &replicas, RolloutOptions: o}.Decide)
}

func (h *history) deployHealth(sec float64, image, healthPath string, replicas int) *history {
	h.t.Helper()
	return h.do(sec, commands.Deploy{App: "web", Image: image, Replicas: &replicas, HealthPath: healthPath}.Decide)
}

func (h *history) scale(sec float64, n int) *history {
	h.t.Helper()
	return h.do(sec, commands.Scale{App: "web", Replicas: n}.Decide)
}

func (h *history) action(sec float64, action string) *history {
	h.t.Helper()
	return h.do(sec, commands.RolloutAction{App: "web", Action: action}.Decide)
}

func (h *history) up(sec float64, version int, ids ...string) *history {
	for _, id := range ids {
		h.at(sec,
			events.InstanceScheduled{App: "web", Instance: id, Version: version, Host: "h1"},
			events.InstanceStarted{App: "web", Instance: id, Host: "h1"},
			events.EndpointRegistered{App: "web", Instance: id, Host: "h1", Addr: "10.0.0.1:20000"})
	}
	return h
}

func (h *history) started(sec float64, version int, ids ...string) *history {
	for _, id := range ids {
		h.at(sec,
			events.InstanceScheduled{App: "web", Instance: id, Version: version, Host: "h1"},
			events.InstanceStarted{App: "web", Instance: id, Host: "h1"})
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
		h.at(sec, events.InstanceExited{App: "web", Instance: id, Host: "h1", ExitCode: 1})
	}
	return h
}

func (h *history) gone(sec float64, ids ...string) *history {
	for _, id := range ids {
		h.at(sec, events.InstanceUnscheduled{App: "web", Instance: id, Host: "h1", Reason: "replaced"},
			events.InstanceStopped{App: "web", Instance: id, Host: "h1"})
	}
	return h
}

// The rollout worker's decisions, as it appends them.

func (h *history) succeed(sec float64, release int) *history {
	return h.at(sec, events.RolloutSucceeded{App: "web", Release: release, Reason: "all healthy"})
}

func (h *history) rollBack(sec float64, release, to int) *history {
	return h.at(sec, events.RolloutRolledBack{App: "web", Release: release, To: to, Reason: "2 instances failed"})
}

func (h *history) fail(sec float64, release int) *history {
	return h.at(sec, events.RolloutFailed{App: "web", Release: release, Reason: "progress deadline passed"})
}

func (h *history) stepTo(sec float64, release, step, weight, keepOld int) *history {
	return h.at(sec, events.RolloutStepped{App: "web", Release: release, Step: step, Weight: weight, KeepOld: keepOld, Reason: "step"})
}

// serving: release 1 (image v1) rolled out and serving replicas instances.
func serving(t *testing.T, replicas int) *history {
	h := newHistory(t).deploy(0, "berth-testapp:v1", replicas, commands.RolloutOptions{})
	for i := range replicas {
		h.up(1, 1, "a"+string(rune('1'+i)))
	}
	return h.succeed(6, 1)
}

var canary = commands.RolloutOptions{Strategy: events.StrategyCanary}

func off() *bool { return new(bool) }
