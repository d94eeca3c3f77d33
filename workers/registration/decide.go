package registration

import (
	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// deregister decides EndpointDeregistered if, on the app's fresh state,
// the instance is still registered and still should not be: not healthy,
// or (for a lost host, which the app's state does not show) at all. A
// second worker deciding the same finds it deregistered: a no-op.
func deregister(d Deregistration) commands.Decider {
	return func(app *appstate.App) ([]events.Event, error) {
		inst, ok := app.Instances[d.Instance]
		if !ok || !inst.Registered {
			return nil, nil
		}
		if !d.HostLost && inst.State == appstate.StateHealthy {
			return nil, nil
		}
		return []events.Event{events.EndpointDeregistered{App: d.App, Instance: d.Instance, Reason: d.Reason}}, nil
	}
}

// deregisterStopped decides EndpointDeregistered for an instance that was
// removed while still registered, which left no Registered flag to check.
// It runs under goneKey, so the event is stored once however many workers
// decide it.
func deregisterStopped(app, instance string) commands.Decider {
	return func(a *appstate.App) ([]events.Event, error) {
		if inst, ok := a.Instances[instance]; ok && !inst.Registered {
			return nil, nil
		}
		return []events.Event{events.EndpointDeregistered{App: app, Instance: instance, Reason: "instance stopped"}}, nil
	}
}

// goneKey is the idempotency key of deregisterStopped: an instance id is
// never reused, so it is stopped (and deregistered for it) once.
func goneKey(instance string) string { return "deregister-stopped/" + instance }
