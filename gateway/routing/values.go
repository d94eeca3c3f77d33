package routing

import "time"

// Endpoint is one value of the berth_endpoints bucket (key "<app>.<instance>"):
// a healthy, registered instance that takes traffic at Addr.
type Endpoint struct {
	App          string    `json:"app"`
	Instance     string    `json:"instance"`
	Host         string    `json:"host"`
	Addr         string    `json:"addr"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Route is one value of the berth_routes bucket (key "<app>"): the app's
// custom domains and the client IPs/CIDRs it refuses.
type Route struct {
	App     string   `json:"app"`
	Domains []string `json:"domains,omitempty"`
	Deny    []string `json:"deny,omitempty"`
}
