package commands

import (
	"slices"
	"strings"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// SetDomains replaces the custom domains routed to an app.
type SetDomains struct {
	App     string   `json:"-"`
	Domains []string `json:"domains"`
	// GatewayDomain, when set, reserves "<app>.<GatewayDomain>" to each
	// app: another app can't take it as a custom domain.
	GatewayDomain string `json:"-"`
}

// Decide returns AppDomainsSet unless nothing changes.
func (c SetDomains) Decide(app *appstate.App) ([]events.Event, error) {
	domains := normalise(c.Domains, strings.ToLower)
	if err := validateDomains(domains); err != nil {
		return nil, err
	}
	for _, d := range domains {
		if owner, ok := appNameUnder(d, c.GatewayDomain); ok && owner != c.App {
			return nil, &DomainTakenError{Domain: d, Owner: owner}
		}
	}
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if slices.Equal(domains, app.Domains) {
		return nil, nil
	}
	return []events.Event{events.AppDomainsSet{App: c.App, Domains: domains}}, nil
}

// SetDenyList replaces the client IPs/CIDRs the gateway refuses for an app.
type SetDenyList struct {
	App  string   `json:"-"`
	Deny []string `json:"deny"`
}

// Decide returns AppDenyListSet unless nothing changes.
func (c SetDenyList) Decide(app *appstate.App) ([]events.Event, error) {
	deny, err := validateCIDRs(normalise(c.Deny, strings.TrimSpace))
	if err != nil {
		return nil, err
	}
	deny = normalise(deny, nil)
	if !app.Exists {
		return nil, notFound("app %s is not deployed", c.App)
	}
	if slices.Equal(deny, app.Deny) {
		return nil, nil
	}
	return []events.Event{events.AppDenyListSet{App: c.App, Deny: deny}}, nil
}

// normalise maps, sorts and de-duplicates a list; empty entries are dropped.
func normalise(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if f != nil {
			s = f(s)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// appNameUnder returns the app whose gateway name d is: "<app>.<gateway>".
func appNameUnder(d, gateway string) (string, bool) {
	if gateway == "" {
		return "", false
	}
	label, ok := strings.CutSuffix(d, "."+gateway)
	if !ok || ValidateAppName(label) != nil {
		return "", false
	}
	return label, true
}
