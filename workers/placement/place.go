package placement

// maxIDTries bounds retries when newID returns IDs already in use, so a
// broken generator ends the plan instead of looping forever.
const maxIDTries = 64

// placer places instances of one app. Hosts are grouped by zone into two
// levels of heaps: zones ordered by how many instances of the app they
// hold, hosts within a zone by their own ranking. A placement changes only
// the chosen host and its zone, so each costs O(log hosts).
type placer struct {
	ix    *index
	app   AppSpec
	mem   int64
	cpu   int64 // millicores
	zones heap[*zoneState]

	idFailed bool
}

// placeLess ranks hosts for placement: fewest instances of the app, then
// most free memory, then host ID.
func placeLess(a, b *hostState) bool {
	if a.count != b.count {
		return a.count < b.count
	}
	if a.freeMem != b.freeMem {
		return a.freeMem > b.freeMem
	}
	return a.host.ID < b.host.ID
}

// placeZoneLess ranks zones: fewest instances of the app, then the better
// best host, which makes the whole ranking one total order.
func placeZoneLess(a, b *zoneState) bool {
	if a.count != b.count {
		return a.count < b.count
	}
	return placeLess(a.hosts.top(), b.hosts.top())
}

func (ix *index) place(app AppSpec, need int, newID func() string, plan *Plan) {
	ids := ix.loadUsage(app.Name)
	p := &placer{
		ix:    ix,
		app:   app,
		mem:   max(app.MemoryBytes, 0),
		cpu:   needMilli(app.CPUs),
		zones: heap[*zoneState]{less: placeZoneLess, pos: zonePos},
	}
	byZone := make(map[string]*zoneState)
	for i := range ix.hosts {
		h := &ix.hosts[i]
		if h.host.Lost {
			continue
		}
		z := byZone[h.host.Zone]
		if z == nil {
			z = &zoneState{name: h.host.Zone, pos: -1, hosts: heap[*hostState]{less: placeLess, pos: hostPos}}
			byZone[h.host.Zone] = z
		}
		h.zone = z
		z.count += h.count
		if matches(h.host.Labels, app.Constraints) && p.fits(h) {
			z.hosts.push(h)
		}
	}
	for i := range ix.hosts {
		if z := ix.hosts[i].zone; z != nil && z.pos < 0 && z.hosts.len() > 0 {
			p.zones.push(z)
		}
	}

	placed := 0
	for placed < need && p.zones.len() > 0 {
		z := p.zones.top()
		h := z.hosts.top()
		ports := ix.portsOf(h)
		if _, ok := ports.peek(); !ok {
			z.hosts.remove(h.pos)
			p.refresh(z)
			continue
		}
		id, ok := uniqueID(newID, ids)
		if !ok {
			p.idFailed = true
			break
		}
		port, _ := ports.take()
		plan.Place = append(plan.Place, Placement{InstanceID: id, Host: h.host.ID, Addr: h.host.Addr, Port: port})
		placed++
		h.count++
		z.count++
		h.freeMem -= p.mem
		h.freeCPU -= p.cpu
		if p.fits(h) {
			z.hosts.fix(h.pos)
		} else {
			z.hosts.remove(h.pos)
		}
		p.refresh(z)
	}
	if placed < need {
		plan.Unplaced = need - placed
		plan.Reasons = p.explain()
	}
}

// fits reports whether one more instance fits the host's capacity and the
// app's max-per-host. Ports are checked lazily when the host comes up.
func (p *placer) fits(h *hostState) bool {
	return (p.app.MaxPerHost <= 0 || h.count < p.app.MaxPerHost) &&
		(p.mem == 0 || h.freeMem >= p.mem) &&
		(p.cpu == 0 || h.freeCPU >= p.cpu)
}

// refresh restores the zone heap after the zone's count or hosts changed.
func (p *placer) refresh(z *zoneState) {
	switch {
	case z.hosts.len() == 0:
		if z.pos >= 0 {
			p.zones.remove(z.pos)
		}
	case z.pos < 0:
		p.zones.push(z)
	default:
		p.zones.fix(z.pos)
	}
}

func matches(labels, constraints map[string]string) bool {
	for k, want := range constraints {
		if got, ok := labels[k]; !ok || got != want {
			return false
		}
	}
	return true
}

func uniqueID(newID func() string, used map[string]struct{}) (string, bool) {
	for range maxIDTries {
		id := newID()
		if _, taken := used[id]; !taken && id != "" {
			used[id] = struct{}{}
			return id, true
		}
	}
	return "", false
}
