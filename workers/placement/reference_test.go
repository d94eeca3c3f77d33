package placement_test

import (
	"cmp"
	"slices"
	"strings"

	"github.com/berth-dev/berth/workers/placement"
)

// reference is a deliberately naive Compute that recounts everything from
// scratch for every decision, so it can be checked by reading. Compute must
// agree with it on every input.
func reference(c *placement.Cluster, app placement.AppSpec, newID func() string) placement.Plan {
	hosts := map[string]placement.Host{}
	var ids []string
	for _, h := range c.Hosts {
		if _, dup := hosts[h.ID]; !dup {
			hosts[h.ID] = h
			ids = append(ids, h.ID)
		}
	}
	slices.Sort(ids)
	usable := func(id string) bool { h, ok := hosts[id]; return ok && !h.Lost }

	var plan placement.Plan
	var live []placement.Instance
	for _, in := range c.Instances {
		if in.App != app.Name {
			continue
		}
		_, known := hosts[in.Host]
		switch {
		case in.State == placement.StateFailed:
			plan.Remove = append(plan.Remove, placement.Removal{InstanceID: in.ID, Host: in.Host, Reason: placement.ReasonFailed})
		case in.State == placement.StateExited:
			plan.Remove = append(plan.Remove, placement.Removal{InstanceID: in.ID, Host: in.Host, Reason: placement.ReasonExited})
		case !in.Live():
		case !known:
			plan.Remove = append(plan.Remove, placement.Removal{InstanceID: in.ID, Host: in.Host, Reason: placement.ReasonHostUnknown})
		case hosts[in.Host].Lost:
			plan.Remove = append(plan.Remove, placement.Removal{InstanceID: in.ID, Host: in.Host, Reason: placement.ReasonHostLost})
		default:
			live = append(live, in)
		}
	}
	slices.SortFunc(plan.Remove, func(a, b placement.Removal) int { return strings.Compare(a.InstanceID, b.InstanceID) })

	want := max(app.Replicas, 0)
	all := slices.Clone(c.Instances)
	countOn := func(host string, insts []placement.Instance) int {
		n := 0
		for _, in := range insts {
			if in.App == app.Name && in.Host == host && in.Live() {
				n++
			}
		}
		return n
	}
	zoneCount := func(zone string, insts []placement.Instance) int {
		n := 0
		for _, id := range ids {
			if usable(id) && hosts[id].Zone == zone {
				n += countOn(id, insts)
			}
		}
		return n
	}

	for need := want - len(live); need > 0; need-- {
		type cand struct {
			id          string
			zone, count int
			freeMem     int64
			port        int
		}
		var best *cand
		for _, id := range ids {
			h := hosts[id]
			if h.Lost {
				continue
			}
			ok := true
			for k, v := range app.Constraints {
				if got, has := h.Labels[k]; !has || got != v {
					ok = false
				}
			}
			count := countOn(id, all)
			if !ok || (app.MaxPerHost > 0 && count >= app.MaxPerHost) {
				continue
			}
			freeMem, freeCPU := h.MemoryBytes, h.CPUs
			used := map[int]bool{}
			for p, taken := range c.ReservedPorts[id] {
				used[p] = taken
			}
			for _, in := range all {
				if in.Host == id && in.HoldsResources() {
					freeMem -= in.MemoryBytes
					freeCPU -= in.CPUs
					used[in.Port] = true
				}
			}
			if (app.MemoryBytes > 0 && freeMem < app.MemoryBytes) || (app.CPUs > 0 && freeCPU < app.CPUs-1e-9) {
				continue
			}
			port := 0
			for p := max(h.PortMin, 1); p <= min(h.PortMax, 65535); p++ {
				if !used[p] {
					port = p
					break
				}
			}
			if port == 0 {
				continue
			}
			cd := cand{id: id, zone: zoneCount(h.Zone, all), count: count, freeMem: freeMem, port: port}
			if best == nil || cmp.Or(cmp.Compare(cd.zone, best.zone), cmp.Compare(cd.count, best.count),
				cmp.Compare(best.freeMem, cd.freeMem), strings.Compare(cd.id, best.id)) < 0 {
				best = &cd
			}
		}
		if best == nil {
			plan.Unplaced = need
			break
		}
		id := newID()
		for slices.ContainsFunc(all, func(in placement.Instance) bool { return in.App == app.Name && in.ID == id }) {
			id = newID()
		}
		plan.Place = append(plan.Place, placement.Placement{InstanceID: id, Host: best.id, Addr: hosts[best.id].Addr, Port: best.port})
		all = append(all, placement.Instance{
			ID: id, App: app.Name, Host: best.id, Port: best.port,
			MemoryBytes: app.MemoryBytes, CPUs: app.CPUs, State: placement.StateScheduled,
		})
	}

	rank := map[string]int{placement.StateScheduled: 0, placement.StateHealthy: 2}
	rankOf := func(s string) int {
		if r, ok := rank[s]; ok {
			return r
		}
		return 1
	}
	for len(live) > want {
		bestAt := 0
		for i := 1; i < len(live); i++ {
			a, b := live[i], live[bestAt]
			if cmp.Or(
				cmp.Compare(zoneCount(hosts[b.Host].Zone, live), zoneCount(hosts[a.Host].Zone, live)),
				cmp.Compare(countOn(b.Host, live), countOn(a.Host, live)),
				strings.Compare(a.Host, b.Host),
				cmp.Compare(rankOf(a.State), rankOf(b.State)),
				strings.Compare(a.ID, b.ID),
			) < 0 {
				bestAt = i
			}
		}
		in := live[bestAt]
		plan.Remove = append(plan.Remove, placement.Removal{InstanceID: in.ID, Host: in.Host, Reason: placement.ReasonScaleDown})
		live = slices.Delete(live, bestAt, bestAt+1)
	}
	return plan
}
