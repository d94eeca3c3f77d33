package commands

import (
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// Scale sets an app's desired replica count by hand (the autoscaler's
// scale is RecordAutoscale). Clients send it through DecodeScale.
type Scale struct {
	App      string `json:"-"`
	Replicas int    `json:"replicas"`
}

// Decide returns AppScaled, or nothing when the count is unchanged.
func (c Scale) Decide(app *appstate.App) ([]events.Event, error) {
	if err := checkRange("replicas", c.Replicas, 0, MaxReplicas); err != nil {
		return nil, err
	}
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if app.Stopped {
		return nil, rejected("app %s is stopped; deploy it again to run it", c.App)
	}
	if app.Spec.Replicas == c.Replicas {
		return nil, nil
	}
	return []events.Event{events.AppScaled{App: c.App, Replicas: c.Replicas, Previous: app.Spec.Replicas, Cause: "manual"}}, nil
}
