package scheduler

import (
	"sync"
)

// portsInUse remembers instances that failed because their host port was
// taken by something outside Berth. Their claim is not released when they
// stop: it stays until the claim collector frees it after ClaimGrace, so
// the next placement on that host picks another port instead of failing
// on the same one again.
type portsInUse struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (p *portsInUse) add(instance string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids == nil {
		p.ids = map[string]struct{}{}
	}
	p.ids[instance] = struct{}{}
}

// take reports whether instance was recorded, forgetting it.
func (p *portsInUse) take(instance string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.ids[instance]
	delete(p.ids, instance)
	return ok
}
