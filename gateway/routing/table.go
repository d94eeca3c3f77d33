package routing

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
)

// Table is an immutable snapshot of who serves which host. It is rebuilt on
// every change and swapped in atomically, so lookups take no locks.
type Table struct {
	apps    map[string]*App
	domains map[string]*App // custom domain -> app
}

// App is one app's slice of the table.
type App struct {
	Name string
	// Endpoints is sorted by release, then instance, so every rebuild
	// orders them alike and each release's endpoints are one run.
	Endpoints []Endpoint
	Domains   []string
	// Weights are the route's valid weights, as given.
	Weights  []Weight
	deny     []netip.Prefix
	next     atomic.Uint64
	releases []Release // by version, each with endpoints
	schedule []int32   // one round of weighted picks, indexes into releases
	turn     atomic.Uint64
}

// Empty is a table that routes nothing.
func Empty() *Table {
	return &Table{apps: map[string]*App{}, domains: map[string]*App{}}
}

// Build makes a table from the route configs and endpoints. An app is known
// if it has either; an app with a route but no endpoints is known but
// unavailable. Bad entries are skipped and reported, never fatal: one broken
// value must not take every other app offline.
func Build(routes []Route, endpoints []Endpoint) (*Table, []error) {
	t := Empty()
	var problems []error
	app := func(name string) *App {
		a, ok := t.apps[name]
		if !ok {
			a = &App{Name: name}
			t.apps[name] = a
		}
		return a
	}

	for _, ep := range endpoints {
		if ep.App == "" || ep.Addr == "" {
			problems = append(problems, fmt.Errorf("endpoint %q of app %q: missing app or addr", ep.Instance, ep.App))
			continue
		}
		a := app(ep.App)
		a.Endpoints = append(a.Endpoints, ep)
	}

	// Sorted so that a domain claimed twice goes to the same app every time.
	routes = slices.Clone(routes)
	slices.SortFunc(routes, func(a, b Route) int { return cmp.Compare(a.App, b.App) })
	for _, r := range routes {
		if r.App == "" {
			problems = append(problems, fmt.Errorf("route without app"))
			continue
		}
		a := app(r.App)
		for _, d := range r.Domains {
			d = normalizeHost(d)
			if d == "" {
				continue
			}
			if owner, taken := t.domains[d]; taken && owner != a {
				problems = append(problems, fmt.Errorf("domain %q of app %q already served by app %q", d, r.App, owner.Name))
				continue
			}
			t.domains[d] = a
			a.Domains = append(a.Domains, d)
		}
		for _, entry := range r.Deny {
			p, err := ParseDeny(entry)
			if err != nil {
				problems = append(problems, fmt.Errorf("deny entry of app %q: %w", r.App, err))
				continue
			}
			a.deny = append(a.deny, p)
		}
		problems = append(problems, a.addWeights(r.Weights)...)
	}

	for _, a := range t.apps {
		a.buildReleases()
	}
	return t, problems
}

// CarryOver continues prev's round-robin positions in t, which must not be
// in use yet.
func (t *Table) CarryOver(prev *Table) {
	if prev == nil {
		return
	}
	for name, a := range t.apps {
		if p, ok := prev.apps[name]; ok {
			a.carryOver(p)
		}
	}
}

// Lookup finds the app serving a Host header value (port allowed): a custom
// domain first, else "<app>.<domain>".
func (t *Table) Lookup(host, domain string) (*App, bool) {
	h := normalizeHost(host)
	if a, ok := t.domains[h]; ok {
		return a, true
	}
	// Not CutSuffix(h, "."+domain): that concatenation would allocate on
	// every request.
	n := len(h) - len(domain) - 1
	if n <= 0 || h[n] != '.' || h[n+1:] != domain {
		return nil, false
	}
	label := h[:n]
	if strings.IndexByte(label, '.') >= 0 {
		return nil, false
	}
	a, ok := t.apps[label]
	return a, ok
}

// App returns the named app.
func (t *Table) App(name string) (*App, bool) {
	a, ok := t.apps[name]
	return a, ok
}

// Apps lists the known app names, sorted.
func (t *Table) Apps() []string {
	names := make([]string, 0, len(t.apps))
	for n := range t.apps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Next returns the app's round-robin counter value and advances it; callers
// take it modulo len(Endpoints).
func (a *App) Next() uint64 { return a.next.Add(1) - 1 }

// Denies reports whether the app refuses traffic from ip.
func (a *App) Denies(ip netip.Addr) bool {
	if len(a.deny) == 0 || !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.deny {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseDeny reads a deny entry: a CIDR ("10.0.0.0/8") or a single IP.
func ParseDeny(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("parse %q: %w", s, err)
		}
		if p.Addr().Is4In6() {
			// 4-in-6 CIDRs would never match the unmapped client address.
			return netip.Prefix{}, fmt.Errorf("parse %q: use the IPv4 form", s)
		}
		return p.Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("parse %q: %w", s, err)
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// normalizeHost lowercases a Host value and drops its port and trailing dot.
func normalizeHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	h = strings.TrimSuffix(h, ".")
	return strings.ToLower(h)
}
