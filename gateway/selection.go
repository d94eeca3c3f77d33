package gateway

import (
	"time"

	"github.com/berth-dev/berth/gateway/routing"
)

// selection walks an app's endpoints for one request: round-robin from the
// request's start offset, each endpoint at most once, ejected ones last.
type selection struct {
	endpoints []routing.Endpoint
	start     int
	tried     []uint64 // bitset over endpoint indexes
	inline    [1]uint64
	attempts  int
}

// init starts a walk at counter (the app's round-robin position).
func (s *selection) init(endpoints []routing.Endpoint, counter uint64) {
	s.endpoints = endpoints
	if n := len(endpoints); n > 0 {
		s.start = int(counter % uint64(n))
	}
	s.tried = s.inline[:]
	if words := (len(endpoints) + 63) / 64; words > 1 {
		s.tried = make([]uint64, words)
	}
}

// next returns the next endpoint to try, or false when all were tried.
// An ejected endpoint is still tried when nothing else is left, so a
// single-instance app is never cut off by its own hiccup.
func (s *selection) next(ej *ejector, now time.Time) (routing.Endpoint, bool) {
	n := len(s.endpoints)
	if s.attempts >= n {
		return routing.Endpoint{}, false
	}
	fallback := -1
	for i := range n {
		idx := (s.start + i) % n
		if s.tried[idx/64]&(1<<(idx%64)) != 0 {
			continue
		}
		if ej.ejected(s.endpoints[idx].Addr, now) {
			if fallback < 0 {
				fallback = idx
			}
			continue
		}
		return s.take(idx), true
	}
	return s.take(fallback), true
}

func (s *selection) take(idx int) routing.Endpoint {
	s.tried[idx/64] |= 1 << (idx % 64)
	s.attempts++
	return s.endpoints[idx]
}
