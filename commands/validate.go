package commands

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

var (
	appNameRe  = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$`)
	envKeyRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	labelKeyRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$`)
	labelValRe = regexp.MustCompile(`^[A-Za-z0-9._-]{0,63}$`)
	instanceRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,38}[a-z0-9])?-[0-9a-f]{6}$`)
	domainRe   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// reservedEnv are set by the platform on every container.
var reservedEnv = map[string]bool{"BERTH_APP": true, "BERTH_INSTANCE": true, "HOST_IP": true, "PORT": true}

// ValidateAppName checks an app name: a DNS label of 1 to 40 characters,
// since it becomes <app>.<domain> and a NATS subject token.
func ValidateAppName(name string) error {
	if !appNameRe.MatchString(name) {
		return invalid("app", "%q is not a valid app name: use 1-40 lowercase letters, digits and dashes, starting with a letter", name)
	}
	return nil
}

// ValidateInstanceID checks an instance id (<app>-<6 hex>).
func ValidateInstanceID(id string) error {
	if !instanceRe.MatchString(id) {
		return invalid("instance", "%q is not a valid instance id", id)
	}
	return nil
}

func validateImage(image string) error {
	if image == "" {
		return invalid("image", "is required")
	}
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		return invalid("image", "%q is not a valid image reference: %v", image, err)
	}
	return nil
}

// ParseMemory parses a memory size the way `docker run --memory` does:
// a number with an optional unit b, k, m, g (powers of 1024; kb/kib etc.
// are accepted too). "" is 0 (no limit).
func ParseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	in := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
		i++
	}
	num, unit := in[:i], strings.TrimSpace(in[i:])
	mult := map[string]float64{"": 1, "b": 1,
		"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
		"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
	}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil || mult == 0 || math.IsInf(v, 0) {
		return 0, invalid("memory", "%q is not a size like 512m or 1g", s)
	}
	bytes := v * mult
	if bytes > 1<<50 {
		return 0, invalid("memory", "%q is too large", s)
	}
	return int64(bytes), nil
}

// Limits on a deploy's environment: what a container needs, far below
// what would bloat every event that carries the spec.
const (
	MaxEnvVars       = 256
	MaxEnvKeyBytes   = 256
	MaxEnvValueBytes = 32 << 10
	MaxEnvTotalBytes = 128 << 10
	MaxConstraints   = 32
	MaxDomains       = 64
	MaxDenyEntries   = 1024
)

func validateEnv(env map[string]string) error {
	if len(env) > MaxEnvVars {
		return invalid("env", "%d variables exceed the limit of %d", len(env), MaxEnvVars)
	}
	total := 0
	for k, v := range env {
		total += len(k) + len(v)
		if len(k) > MaxEnvKeyBytes {
			return invalid("env", "variable name %.32q... is longer than the limit of %d bytes", k, MaxEnvKeyBytes)
		}
		if len(v) > MaxEnvValueBytes {
			return invalid("env", "value of %s is %d bytes, above the limit of %d", k, len(v), MaxEnvValueBytes)
		}
	}
	if total > MaxEnvTotalBytes {
		return invalid("env", "names and values total %d bytes, above the limit of %d", total, MaxEnvTotalBytes)
	}
	for k, v := range env {
		if !envKeyRe.MatchString(k) {
			return invalid("env", "%q is not a valid variable name", k)
		}
		if reservedEnv[k] {
			return invalid("env", "%s is set by the platform and can't be overridden", k)
		}
		if strings.ContainsRune(v, 0) {
			return invalid("env", "value of %s contains a NUL byte", k)
		}
	}
	return nil
}

func validateLabels(field string, labels map[string]string) error {
	if len(labels) > MaxConstraints {
		return invalid(field, "%d entries exceed the limit of %d", len(labels), MaxConstraints)
	}
	for k, v := range labels {
		if !labelKeyRe.MatchString(k) {
			return invalid(field, "%q is not a valid label key", k)
		}
		if !labelValRe.MatchString(v) {
			return invalid(field, "%q is not a valid value for label %s", v, k)
		}
	}
	return nil
}

func validateDomains(domains []string) error {
	if len(domains) > MaxDomains {
		return invalid("domains", "%d domains exceed the limit of %d", len(domains), MaxDomains)
	}
	for _, d := range domains {
		if !domainRe.MatchString(d) {
			return invalid("domains", "%q is not a valid domain name", d)
		}
	}
	return nil
}

// validateCIDRs accepts addresses and CIDR prefixes and normalises them
// to prefixes (1.2.3.4 becomes 1.2.3.4/32).
func validateCIDRs(entries []string) ([]string, error) {
	if len(entries) > MaxDenyEntries {
		return nil, invalid("deny", "%d entries exceed the limit of %d", len(entries), MaxDenyEntries)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, invalid("deny", "%q is neither an IP address nor a CIDR", e)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	return out, nil
}

func checkRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return invalid(field, "%d is out of range %d..%d", v, lo, hi)
	}
	return nil
}
