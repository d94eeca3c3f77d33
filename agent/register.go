package agent

import (
	"context"
	"fmt"
	"maps"

	"github.com/berth-dev/berth/events"
)

func (a *Agent) registration() events.HostRegistered {
	return events.HostRegistered{
		Host:        a.cfg.HostID,
		Addr:        a.cfg.Addr,
		Zone:        a.cfg.Zone,
		Labels:      maps.Clone(a.cfg.Labels),
		CPUs:        a.cfg.CPUs,
		MemoryBytes: a.cfg.MemoryBytes,
		PortMin:     a.cfg.PortMin,
		PortMax:     a.cfg.PortMax,
	}
}

func (a *Agent) requestRegister() {
	select {
	case a.register <- struct{}{}:
	default:
	}
}

// registerLoop claims the host's registration once its assignments are
// read, and again whenever it is declared lost while the agent lives (a
// partition that healed). The intake appends it only when the host's
// history calls for it, so claiming again is harmless.
func (a *Agent) registerLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.register:
		}
		if !untilOK(ctx, a.log, "register host failed", func() error { return a.claimRegistration(ctx) }) {
			return
		}
	}
}

func (a *Agent) claimRegistration(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	want := a.registration()
	// No key: a registration claimed again after being lost must not be
	// deduplicated away.
	if err := a.bus.Claim(ctx, want, ""); err != nil {
		return fmt.Errorf("claim registration: %w", err)
	}
	a.log.Info("host registration claimed", "addr", want.Addr, "zone", want.Zone)
	return nil
}
