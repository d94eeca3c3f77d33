package health

import (
	"errors"
	"net"
	"strconv"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

// register decides EndpointRegistered for the probed instance if, on the
// app's fresh state, it is still started at the probed address and not an
// endpoint yet. Another copy of this worker that got there first makes it
// a no-op.
func register(t Target) commands.Decider {
	return func(app *appstate.App) ([]events.Event, error) {
		inst, ok := app.Instances[t.Instance]
		if !ok || app.Stopped || inst.Registered {
			return nil, nil
		}
		if inst.State != appstate.StateRunning && inst.State != appstate.StateHealthy {
			return nil, nil
		}
		addr := net.JoinHostPort(inst.HostAddr, strconv.Itoa(inst.HostPort))
		if addr != t.Addr {
			return nil, nil
		}
		return []events.Event{events.EndpointRegistered{App: t.App, Instance: t.Instance, Host: inst.Host, Addr: addr}}, nil
	}
}

// fail decides InstanceHealthFailed through commands.HealthFail, which
// only fails a live instance; an instance that is gone is no news.
func fail(t Target, reason string) commands.Decider {
	cmd := commands.HealthFail{App: t.App, Instance: t.Instance, Reason: reason, Source: Source}
	return func(app *appstate.App) ([]events.Event, error) {
		evs, err := cmd.Decide(app)
		if errors.Is(err, commands.ErrNotFound) {
			return nil, nil
		}
		return evs, err
	}
}
