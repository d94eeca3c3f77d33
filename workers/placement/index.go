package placement

import (
	"math"
	"slices"
	"strings"
)

// hostState is one host as seen while planning one app.
type hostState struct {
	host  *Host
	zone  *zoneState
	count int // live instances of the app being planned
	pos   int // position in its zone's heap, -1 when not in it

	// Loaded only when placing.
	freeMem        int64
	freeCPU        int64 // millicores
	portLo, portHi int32 // this host's used ports in index.ports
	ports          *portCursor

	// Loaded only when scaling down: live instances of the app, best
	// candidate for removal first.
	insts []int32
}

type zoneState struct {
	name  string
	count int // live instances of the app being planned
	hosts heap[*hostState]
	pos   int
}

func hostPos(h *hostState) *int { return &h.pos }
func zonePos(z *zoneState) *int { return &z.pos }

// index is the cluster arranged for planning one app: hosts by ID, and the
// app's live instances. It is built in one pass over the instances; the
// capacity pass over all apps' instances runs only when placing.
type index struct {
	c     *Cluster
	hosts []hostState
	byID  map[string]int32

	live     []int32 // indices into c.Instances
	liveHost []int32 // host of each live instance, index into hosts
	replaced []Removal

	ports []int32 // every host's used ports, segmented by hostState.portLo/Hi
}

func newIndex(c *Cluster, app string, release int) *index {
	ix := &index{c: c, byID: make(map[string]int32, len(c.Hosts))}
	ix.hosts = make([]hostState, 0, len(c.Hosts))
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if _, dup := ix.byID[h.ID]; dup {
			continue
		}
		ix.byID[h.ID] = int32(len(ix.hosts))
		ix.hosts = append(ix.hosts, hostState{host: h, pos: -1})
	}
	for i := range c.Instances {
		in := &c.Instances[i]
		if in.App != app || in.Release != release {
			continue
		}
		switch in.State {
		case StateFailed:
			ix.replace(in, ReasonFailed)
			continue
		case StateExited:
			ix.replace(in, ReasonExited)
			continue
		}
		if !in.Live() {
			continue
		}
		hi, ok := ix.byID[in.Host]
		switch {
		case !ok:
			ix.replace(in, ReasonHostUnknown)
		case ix.hosts[hi].host.Lost:
			ix.replace(in, ReasonHostLost)
		default:
			ix.live = append(ix.live, int32(i))
			ix.liveHost = append(ix.liveHost, hi)
			ix.hosts[hi].count++
		}
	}
	slices.SortFunc(ix.replaced, func(a, b Removal) int { return strings.Compare(a.InstanceID, b.InstanceID) })
	return ix
}

func (ix *index) replace(in *Instance, reason string) {
	ix.replaced = append(ix.replaced, Removal{InstanceID: in.ID, Host: in.Host, Reason: reason})
}

// loadUsage computes free memory and CPU of every usable host from the
// instances of all apps, and collects their used ports.
// It also returns the IDs the app already uses, so new IDs can avoid them.
func (ix *index) loadUsage(app string) map[string]struct{} {
	ids := make(map[string]struct{})
	for i := range ix.hosts {
		h := &ix.hosts[i]
		h.freeMem = h.host.MemoryBytes
		h.freeCPU = capacityMilli(h.host.CPUs)
	}
	instHost := make([]int32, len(ix.c.Instances))
	for i := range ix.c.Instances {
		in := &ix.c.Instances[i]
		instHost[i] = -1
		if in.App == app {
			ids[in.ID] = struct{}{}
		}
		if !in.HoldsResources() {
			continue
		}
		hi, ok := ix.byID[in.Host]
		if !ok || ix.hosts[hi].host.Lost {
			continue
		}
		h := &ix.hosts[hi]
		h.freeMem -= in.MemoryBytes
		h.freeCPU -= needMilli(in.CPUs)
		if in.Port > 0 {
			instHost[i] = hi
			h.portHi++ // a count until the prefix sum below
		}
	}
	var off int32
	for i := range ix.hosts {
		h := &ix.hosts[i]
		n := h.portHi
		h.portLo, h.portHi = off, off
		off += n
	}
	ix.ports = make([]int32, off)
	for i, hi := range instHost {
		if hi < 0 {
			continue
		}
		h := &ix.hosts[hi]
		ix.ports[h.portHi] = int32(ix.c.Instances[i].Port)
		h.portHi++
	}
	return ids
}

// portsOf returns the host's port cursor, building it on first use.
func (ix *index) portsOf(h *hostState) *portCursor {
	if h.ports == nil {
		used := slices.Clip(ix.ports[h.portLo:h.portHi])
		for p, taken := range ix.c.ReservedPorts[h.host.ID] {
			if taken {
				used = append(used, int32(p))
			}
		}
		h.ports = newPortCursor(h.host.PortMin, h.host.PortMax, used)
	}
	return h.ports
}

// CPU is accounted in whole millicores, rounding needs up and capacity down
// so that rounding can never over-commit a host.
func needMilli(cpus float64) int64 {
	if cpus <= 0 {
		return 0
	}
	return int64(math.Ceil(cpus*1000 - 1e-6))
}

func capacityMilli(cpus float64) int64 {
	if cpus <= 0 {
		return 0
	}
	return int64(math.Floor(cpus*1000 + 1e-6))
}
