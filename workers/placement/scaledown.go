package placement

import (
	"slices"
	"strings"
)

// downLess ranks hosts for removal: most instances of the app, then host ID.
func downLess(a, b *hostState) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	return a.host.ID < b.host.ID
}

// downZoneLess ranks zones for removal: most instances of the app, then the
// better host to remove from.
func downZoneLess(a, b *zoneState) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	return downLess(a.hosts.top(), b.hosts.top())
}

// removalRank orders instances on one host: not yet running goes first,
// healthy last.
func removalRank(state string) int {
	switch state {
	case StateScheduled:
		return 0
	case StateHealthy:
		return 2
	}
	return 1
}

// scaleDown removes k live instances, evening out zones and then hosts.
func (ix *index) scaleDown(k int, plan *Plan) {
	for n, i := range ix.live {
		h := &ix.hosts[ix.liveHost[n]]
		h.insts = append(h.insts, i)
	}
	zones := heap[*zoneState]{less: downZoneLess, pos: zonePos}
	byZone := make(map[string]*zoneState)
	for i := range ix.hosts {
		h := &ix.hosts[i]
		if len(h.insts) == 0 {
			continue
		}
		slices.SortFunc(h.insts, func(a, b int32) int {
			x, y := &ix.c.Instances[a], &ix.c.Instances[b]
			if rx, ry := removalRank(x.State), removalRank(y.State); rx != ry {
				return rx - ry
			}
			return strings.Compare(x.ID, y.ID)
		})
		z := byZone[h.host.Zone]
		if z == nil {
			z = &zoneState{name: h.host.Zone, pos: -1, hosts: heap[*hostState]{less: downLess, pos: hostPos}}
			byZone[h.host.Zone] = z
		}
		z.count += h.count
		z.hosts.push(h)
		h.zone = z
	}
	for _, z := range byZone {
		zones.push(z)
	}
	for range k {
		z := zones.top()
		h := z.hosts.top()
		in := &ix.c.Instances[h.insts[0]]
		h.insts = h.insts[1:]
		plan.Remove = append(plan.Remove, Removal{InstanceID: in.ID, Host: in.Host, Reason: ReasonScaleDown})
		h.count--
		z.count--
		if h.count == 0 {
			z.hosts.remove(h.pos)
		} else {
			z.hosts.fix(h.pos)
		}
		if z.hosts.len() == 0 {
			zones.remove(z.pos)
		} else {
			zones.fix(z.pos)
		}
	}
}
