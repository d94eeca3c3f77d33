package registration

import (
	"slices"
	"time"

	"github.com/berth-dev/berth/events/appstate"
)

// Endpoint is a value of the berth_endpoints bucket, key "<app>.<instance>".
type Endpoint struct {
	App          string    `json:"app"`
	Instance     string    `json:"instance"`
	Host         string    `json:"host"`
	Addr         string    `json:"addr"`
	RegisteredAt time.Time `json:"registered_at"`
	// Release is the app release the instance runs.
	Release int `json:"release"`
}

// Key is the endpoint's key in the bucket.
func (e Endpoint) Key() string { return EndpointKey(e.App, e.Instance) }

// EndpointKey is "<app>.<instance>".
func EndpointKey(app, instance string) string { return app + "." + instance }

// same ignores RegisteredAt: a value is rewritten only when where to send
// traffic changed, so a reconcile never churns the bucket.
func (e Endpoint) same(o Endpoint) bool {
	return e.App == o.App && e.Instance == o.Instance && e.Host == o.Host && e.Addr == o.Addr && e.Release == o.Release
}

// Route is a value of the berth_routes bucket, key "<app>". Domains and
// Deny are never null in JSON.
type Route struct {
	App     string   `json:"app"`
	Domains []string `json:"domains"`
	Deny    []string `json:"deny"`
	// Weights split the app's traffic between releases (a canary); none:
	// every endpoint alike.
	Weights []appstate.Weight `json:"weights,omitempty"`
}

func (r Route) same(o Route) bool {
	return r.App == o.App && slices.Equal(r.Domains, o.Domains) && slices.Equal(r.Deny, o.Deny) &&
		slices.Equal(r.Weights, o.Weights)
}
