package hooks

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/berth-dev/berth/commands"
)

var (
	nameRe    = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$`)
	kindRe    = regexp.MustCompile(`^([a-z][a-z0-9_]{0,62}\*?|\*)$`)
	projectRe = nameRe
)

// Limits on a subscription.
const (
	maxURL     = 2048
	maxFilters = 64
	minSecret  = 16
	maxSecret  = 256
)

// DefaultProject is the project of a hook that names none.
const DefaultProject = "default"

// Policy is what the server allows receivers to be.
type Policy struct {
	// AllowPrivate allows plain http and receivers on loopback, private,
	// link-local and other non-public addresses (berth dev, tests).
	AllowPrivate bool
}

func invalid(field, format string, args ...any) error {
	return &commands.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ValidateName checks a hook name: the same shape as an app name, since it
// is a NATS subject token and part of a consumer name.
func ValidateName(name string) error {
	if !nameRe.MatchString(name) {
		return invalid("name", "%q is not a valid hook name: use 1-40 lowercase letters, digits and dashes, starting with a letter", name)
	}
	return nil
}

// ValidateURL checks a receiver URL against the policy. Names are checked
// again, resolved, when the worker connects (DNS can change).
func ValidateURL(raw string, p Policy) error {
	if raw == "" {
		return invalid("url", "is required")
	}
	if len(raw) > maxURL {
		return invalid("url", "is longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("url", "%q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowPrivate:
	case u.Scheme == "http":
		return invalid("url", "%q: only https receivers are allowed (the server allows http with --hooks-allow-private)", raw)
	default:
		return invalid("url", "%q: the scheme must be https", raw)
	}
	if u.Hostname() == "" {
		return invalid("url", "%q has no host", raw)
	}
	if u.User != nil {
		return invalid("url", "%q carries credentials; use the signing secret to authenticate", raw)
	}
	if u.Fragment != "" {
		return invalid("url", "%q has a fragment", raw)
	}
	if !p.AllowPrivate {
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return invalid("url", "%q points at this machine (loopback); not allowed without --hooks-allow-private", raw)
		}
		if a, err := netip.ParseAddr(host); err == nil && !PublicAddr(a) {
			return invalid("url", "%q points at a private or loopback address; not allowed without --hooks-allow-private", raw)
		}
		if ip := net.ParseIP(host); ip == nil && strings.Trim(host, "0123456789.") == "" {
			return invalid("url", "%q is not a valid host", raw)
		}
	}
	return nil
}

// PublicAddr reports whether a is a globally routable unicast address:
// not loopback, private (RFC 1918, fc00::/7), link-local, CGNAT,
// unspecified, multicast or reserved. Receivers must be public unless the
// server allows private ones (server-side request forgery).
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("2001:db8::/32"),
}

func validateApps(apps []string) error {
	if len(apps) > maxFilters {
		return invalid("apps", "at most %d apps", maxFilters)
	}
	for _, a := range apps {
		if err := commands.ValidateAppName(a); err != nil {
			return invalid("apps", "%q is not a valid app name", a)
		}
	}
	return nil
}

func validateTypes(types []string) error {
	if len(types) > maxFilters {
		return invalid("types", "at most %d types", maxFilters)
	}
	for _, t := range types {
		if !kindRe.MatchString(t) {
			return invalid("types", "%q is not an event kind (deployed, instance_exited, rollout_*, ...)", t)
		}
	}
	return nil
}

func validateSecret(s string) error {
	if s == "" {
		return nil
	}
	if len(s) < minSecret || len(s) > maxSecret {
		return invalid("secret", "must be %d to %d characters", minSecret, maxSecret)
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return invalid("secret", "must be printable ASCII without spaces")
		}
	}
	return nil
}
