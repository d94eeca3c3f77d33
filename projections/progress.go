package projections

import (
	"context"
	"sync"
)

// progress tracks each projector's committed checkpoint in this process,
// so RunToEnd can wait for a sequence without polling the database.
type progress struct {
	mu      sync.Mutex
	pos     map[string]uint64
	changed chan struct{} // closed and replaced on every advance
}

func newProgress(start map[string]uint64) *progress {
	at := map[string]uint64{}
	for k, v := range start {
		at[k] = v
	}
	return &progress{pos: at, changed: make(chan struct{})}
}

func (p *progress) advance(name string, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if seq <= p.pos[name] {
		return
	}
	p.pos[name] = seq
	close(p.changed)
	p.changed = make(chan struct{})
}

// reached reports whether every named projector is at seq or beyond, and
// a channel closed at the next advance.
func (p *progress) reached(names []string, seq uint64) (bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range names {
		if p.pos[n] < seq {
			return false, p.changed
		}
	}
	return true, nil
}

// at is the named projector's position.
func (p *progress) at(name string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos[name]
}

// allAt reports whether every named projector is at seq or beyond.
func (p *progress) allAt(names []string, seq uint64) bool {
	ok, _ := p.reached(names, seq)
	return ok
}

// snapshot copies every projector's position.
func (p *progress) snapshot() map[string]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]uint64, len(p.pos))
	for k, v := range p.pos {
		out[k] = v
	}
	return out
}

// wait blocks until every named projector is at seq or ctx ends.
func (p *progress) wait(ctx context.Context, names []string, seq uint64) bool {
	for {
		ok, changed := p.reached(names, seq)
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}
