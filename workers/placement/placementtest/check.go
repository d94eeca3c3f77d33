package placementtest

import (
	"errors"
	"fmt"

	"github.com/berth-dev/berth/workers/placement"
)

// Check verifies what a scheduler must never break on hosts that are not
// lost: no two instances holding resources share a host:port, every port is
// inside its host's range and not reserved, and no host's memory or CPU is
// over-committed. It reports every violation.
func Check(c *placement.Cluster) error {
	type usage struct {
		mem   int64
		cpu   float64
		ports map[int]string
	}
	hosts := map[string]*placement.Host{}
	use := map[string]*usage{}
	for i := range c.Hosts {
		if !c.Hosts[i].Lost {
			hosts[c.Hosts[i].ID] = &c.Hosts[i]
			use[c.Hosts[i].ID] = &usage{ports: map[int]string{}}
		}
	}
	var errs []error
	for _, in := range c.Instances {
		host, ok := hosts[in.Host]
		if !ok || !in.HoldsResources() {
			continue
		}
		u := use[in.Host]
		u.mem += in.MemoryBytes
		u.cpu += in.CPUs
		if other, dup := u.ports[in.Port]; dup {
			errs = append(errs, fmt.Errorf("%s and %s both on %s:%d", other, in.ID, in.Host, in.Port))
		}
		u.ports[in.Port] = in.ID
		if in.Port < host.PortMin || in.Port > host.PortMax {
			errs = append(errs, fmt.Errorf("%s on %s:%d outside %d-%d", in.ID, in.Host, in.Port, host.PortMin, host.PortMax))
		}
		if c.ReservedPorts[in.Host][in.Port] {
			errs = append(errs, fmt.Errorf("%s on reserved %s:%d", in.ID, in.Host, in.Port))
		}
	}
	for id, u := range use {
		h := hosts[id]
		if u.mem > h.MemoryBytes {
			errs = append(errs, fmt.Errorf("host %s memory %d > %d", id, u.mem, h.MemoryBytes))
		}
		if u.cpu > h.CPUs+1e-9 {
			errs = append(errs, fmt.Errorf("host %s cpu %g > %g", id, u.cpu, h.CPUs))
		}
	}
	return errors.Join(errs...)
}
