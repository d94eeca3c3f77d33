package commands

import (
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// Stop stops every instance of an app; it stays known until deployed again.
type Stop struct {
	App string `json:"-"`
}

// Decide returns AppStopped, or nothing if the app is already stopped.
func (c Stop) Decide(app *appstate.App) ([]events.Event, error) {
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if app.Stopped {
		return nil, nil
	}
	var evs []events.Event
	if ro := app.Rollout; ro.Live() {
		evs = append(evs, events.RolloutSuperseded{App: c.App, Release: ro.Release})
	}
	evs = append(evs, events.AppStopped{App: c.App})
	if len(app.Domains) > 0 {
		// A stopped app gives its custom domains back.
		evs = append(evs, events.AppDomainsSet{App: c.App, Domains: []string{}})
	}
	return evs, nil
}
