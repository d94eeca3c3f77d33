package commands

import (
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// HealthFail reports an instance as failed (by the health worker or an
// outside monitor); the scheduler replaces it.
type HealthFail struct {
	App      string `json:"-"`
	Instance string `json:"-"`
	Reason   string `json:"reason,omitempty"`
	Source   string `json:"-"`
}

// Decide returns InstanceHealthFailed for a live instance; a report about
// an instance that is already failed or gone changes nothing.
func (c HealthFail) Decide(app *appstate.App) ([]events.Event, error) {
	if err := ValidateInstanceID(c.Instance); err != nil {
		return nil, err
	}
	if len(c.Reason) > 1024 {
		return nil, invalid("reason", "is longer than 1024 bytes")
	}
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	inst, ok := app.Instances[c.Instance]
	if !ok {
		return nil, notFound("app %s has no instance %s", c.App, c.Instance)
	}
	if !inst.Live() {
		return nil, nil
	}
	reason, source := c.Reason, c.Source
	if reason == "" {
		reason = "reported failed"
	}
	if source == "" {
		source = "api"
	}
	return []events.Event{events.InstanceHealthFailed{App: c.App, Instance: c.Instance, Reason: reason, Source: source}}, nil
}
