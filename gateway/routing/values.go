package routing

import "time"

// Endpoint is one value of the berth_endpoints bucket (key "<app>.<instance>"):
// a healthy, registered instance that takes traffic at Addr.
type Endpoint struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Host     string `json:"host"`
	Addr     string `json:"addr"`
	// Release is the app release the instance runs; 0 for values written
	// before releases existed.
	Release      int       `json:"release,omitempty"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Route is one value of the berth_routes bucket (key "<app>"): the app's
// custom domains, the client IPs/CIDRs it refuses, and how its traffic is
// split between releases.
type Route struct {
	App     string   `json:"app"`
	Domains []string `json:"domains,omitempty"`
	Deny    []string `json:"deny,omitempty"`
	// Weights splits the app's traffic between releases; empty sends it to
	// every endpoint alike.
	Weights []Weight `json:"weights,omitempty"`
}

// Weight is one release's share of its app's traffic, relative to the
// other weights of the route (the writer uses percent). 0 takes none.
type Weight struct {
	Release int `json:"release"`
	Weight  int `json:"weight"`
}
