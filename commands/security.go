package commands

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/berth-dev/berth/events"
)

// SecurityOptions are the container opt-ins a deploy may ask for. There is
// no privileged mode, no host mount and no host network to ask for.
type SecurityOptions struct {
	ReadOnly bool     `json:"read_only,omitempty"`
	User     string   `json:"user,omitempty"`
	CapAdd   []string `json:"cap_add,omitempty"`
}

// ContainerPolicy is the server's say over what apps run with.
type ContainerPolicy struct {
	// DefaultMemoryBytes is the memory limit of an app deployed without
	// one (0: none).
	DefaultMemoryBytes int64
	// AllowedCaps are the capabilities a deploy may add (CAP_ prefix
	// dropped, upper case); empty allows none.
	AllowedCaps []string
}

// SetContainerPolicy sets what deploys through the HTTP API default to and
// may ask for.
func (h *Handler) SetContainerPolicy(p ContainerPolicy) { h.policy = p }

var userRe = regexp.MustCompile(`^[0-9]{1,10}(:[0-9]{1,10})?$`)

// CapName normalises a capability name: upper case, no CAP_ prefix.
func CapName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

func (o SecurityOptions) spec(p ContainerPolicy) (events.Security, []error) {
	var errs []error
	sec := events.Security{ReadOnly: o.ReadOnly, User: o.User}
	if o.User != "" && !userRe.MatchString(o.User) {
		errs = append(errs, invalid("user", "%q is not UID or UID:GID (numbers)", o.User))
	}
	for _, c := range o.CapAdd {
		name := CapName(c)
		if !slices.Contains(p.AllowedCaps, name) {
			allowed := "none"
			if len(p.AllowedCaps) > 0 {
				allowed = strings.Join(p.AllowedCaps, ", ")
			}
			errs = append(errs, invalid("cap_add", "%q is not on this server's allow-list (%s)", c, allowed))
			continue
		}
		sec.CapAdd = append(sec.CapAdd, name)
	}
	slices.Sort(sec.CapAdd)
	sec.CapAdd = slices.Compact(sec.CapAdd)
	return sec, errs
}

// Validate reports every problem with the policy at once.
func (p ContainerPolicy) Validate() error {
	var errs []string
	if p.DefaultMemoryBytes < 0 {
		errs = append(errs, fmt.Sprintf("default memory %d is negative", p.DefaultMemoryBytes))
	}
	for _, c := range p.AllowedCaps {
		if c != CapName(c) || c == "" {
			errs = append(errs, fmt.Sprintf("capability %q: write it upper case without CAP_", c))
		}
		if c == "SYS_ADMIN" || c == "ALL" {
			errs = append(errs, fmt.Sprintf("capability %s can't be allowed: it amounts to privileged mode", c))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("container policy: %s", strings.Join(errs, "; "))
	}
	return nil
}
