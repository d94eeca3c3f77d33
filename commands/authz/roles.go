package authz

import (
	"fmt"
	"slices"
)

// Role is a named set of capabilities; each role has every capability of
// the roles before it.
type Role string

// The roles, from least to most powerful.
const (
	Viewer   Role = "viewer"
	Deployer Role = "deployer"
	Operator Role = "operator"
	Admin    Role = "admin"
)

// Roles lists every role, least powerful first.
var Roles = []Role{Viewer, Deployer, Operator, Admin}

// ParseRole checks s names a role.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("role %q: use viewer, deployer, operator or admin", s)
}

// Capability is one thing a request may do.
type Capability string

// The capabilities. Reading logs is its own capability, not bundled with
// deploying (Nomad users ask for exactly that split).
const (
	Read        Capability = "read"         // apps, instances, endpoints, hosts, events
	Deploy      Capability = "deploy"       // deploy, rollout, rollback
	Scale       Capability = "scale"        // manual scaling
	ReadLogs    Capability = "read-logs"    // search and follow app logs
	HealthFail  Capability = "health-fail"  // report an instance unhealthy
	Domains     Capability = "domains"      // custom domains
	DenyList    Capability = "deny-list"    // client deny lists
	Autoscale   Capability = "autoscale"    // autoscale policies
	Stop        Capability = "stop"         // stop an app
	ManageToken Capability = "tokens"       // create, list, revoke tokens
	Audit       Capability = "audit"        // read who did what
	ManageHosts Capability = "manage-hosts" // host administration
)

// grants is what each role adds to the one before it.
var grants = map[Role][]Capability{
	Viewer:   {Read},
	Deployer: {Deploy, Scale},
	Operator: {ReadLogs, HealthFail, Domains, DenyList, Autoscale, Stop},
	Admin:    {ManageToken, Audit, ManageHosts},
}

// Allows says whether role has capability c.
func Allows(role Role, c Capability) bool {
	if !slices.Contains(Roles, role) {
		return false
	}
	for _, r := range Roles {
		if slices.Contains(grants[r], c) {
			return true
		}
		if r == role {
			return false
		}
	}
	return false
}
