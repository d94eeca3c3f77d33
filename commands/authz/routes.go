package authz

// Routes maps each API route (its ServeMux pattern) to the capability it
// needs. A route missing here needs admin: new routes are closed until
// someone decides who may use them.
var Routes = map[string]Capability{
	"GET /v1/apps":                   Read,
	"GET /v1/apps/{app}":             Read,
	"GET /v1/apps/{app}/instances":   Read,
	"GET /v1/apps/{app}/endpoints":   Read,
	"GET /v1/apps/{app}/events":      Read,
	"GET /v1/hosts":                  Read,
	"GET /v1/events/stream":          Read,
	"GET /v1/apps/{app}/autoscale":   Read,
	"GET /v1/apps/{app}/releases":    Read,
	"GET /v1/apps/{app}/rollout":     Read,
	"GET /v1/apps/{app}/logs":        ReadLogs,
	"GET /v1/apps/{app}/logs/follow": ReadLogs,

	"POST /v1/apps/{app}/deploy":          Deploy,
	"POST /v1/apps/{app}/rollout/pause":   Deploy,
	"POST /v1/apps/{app}/rollout/resume":  Deploy,
	"POST /v1/apps/{app}/rollout/promote": Deploy,
	"POST /v1/apps/{app}/rollout/abort":   Deploy,
	"POST /v1/apps/{app}/rollback":        Deploy,
	"POST /v1/apps/{app}/scale":           Scale,

	"POST /v1/apps/{app}/instances/{instance}/health-fail": HealthFail,
	"POST /v1/apps/{app}/domains":                          Domains,
	"POST /v1/apps/{app}/deny":                             DenyList,
	"POST /v1/apps/{app}/autoscale":                        Autoscale,
	"POST /v1/apps/{app}/stop":                             Stop,

	"POST /v1/tokens":               ManageToken,
	"GET /v1/tokens":                ManageToken,
	"POST /v1/tokens/{name}/revoke": ManageToken,
	"GET /v1/audit":                 Audit,
}

// Needed is the capability route needs; unknown routes need admin's.
func Needed(route string) Capability {
	if c, ok := Routes[route]; ok {
		return c
	}
	return ManageHosts
}
