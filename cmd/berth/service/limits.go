package service

import (
	"github.com/berth-dev/berth/commands"
	"time"

	"errors"
	"fmt"
)

// Limits are the server's protections against one client or app hurting
// the rest. Zero fields take defaults.
type Limits struct {
	// MaxLogFollowers caps concurrent GET /v1/apps/{app}/logs/follow (429 beyond).
	MaxLogFollowers int
	// MaxEventStreams caps concurrent GET /v1/events/stream (429 beyond).
	MaxEventStreams int
	// DefaultMemory is the memory limit of apps deployed without one
	// ("512m"; "0" for none).
	DefaultMemory string
	// CapAddAllow are the capabilities a deploy may add (--cap-add).
	CapAddAllow []string
	// Gateway: reading a whole request, each wait for more of a body, and
	// connections per client address (0: the gateway's defaults, 5m, 10s, 256).
	GatewayReadTimeout    time.Duration
	GatewayBodyTimeout    time.Duration
	GatewayConnsPerClient int
}

// containerPolicy is what deploys default to and may ask for.
func (l Limits) containerPolicy() (commands.ContainerPolicy, error) {
	mem, err := commands.ParseMemory(l.DefaultMemory)
	if err != nil {
		return commands.ContainerPolicy{}, fmt.Errorf("default memory: %w", err)
	}
	p := commands.ContainerPolicy{DefaultMemoryBytes: mem}
	for _, c := range l.CapAddAllow {
		p.AllowedCaps = append(p.AllowedCaps, commands.CapName(c))
	}
	return p, p.Validate()
}

func (l *Limits) setDefaults() {
	if l.MaxLogFollowers == 0 {
		l.MaxLogFollowers = 64
	}
	if l.MaxEventStreams == 0 {
		l.MaxEventStreams = 64
	}
	if l.DefaultMemory == "" {
		l.DefaultMemory = "512m"
	}
}

// Validate reports every problem at once.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxLogFollowers < 0 {
		errs = append(errs, fmt.Errorf("max log follows %d is negative", l.MaxLogFollowers))
	}
	if l.MaxEventStreams < 0 {
		errs = append(errs, fmt.Errorf("max event streams %d is negative", l.MaxEventStreams))
	}
	if _, err := l.containerPolicy(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
