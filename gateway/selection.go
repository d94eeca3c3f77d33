package gateway

import (
	"time"

	"github.com/berth-dev/berth/gateway/routing"
)

// selection walks an app's endpoints for one request: round-robin through
// the picked release's run from the pick's counter, then (unless the
// request is pinned to that release) the app's other endpoints, each at
// most once, ejected ones last.
type selection struct {
	endpoints []routing.Endpoint
	lo, hi    int      // the picked run, endpoints[lo:hi]
	start     int      // offset of the first try within the run
	limit     int      // endpoints the walk may reach
	tried     []uint64 // bitset over endpoint indexes
	inline    [1]uint64
	attempts  int
}

// init starts a walk over endpoints as p directs.
func (s *selection) init(endpoints []routing.Endpoint, p routing.Pick) {
	s.endpoints = endpoints
	s.lo, s.hi = p.Lo, p.Hi
	if m := p.Hi - p.Lo; m > 0 {
		s.start = int(p.Counter % uint64(m))
	}
	s.limit = len(endpoints)
	if p.Pinned {
		s.limit = p.Hi - p.Lo
	}
	s.tried = s.inline[:]
	if words := (len(endpoints) + 63) / 64; words > 1 {
		s.tried = make([]uint64, words)
	}
}

// at is the endpoint index of the walk's i-th step: the run first, from
// start, then the others from the run's end onwards.
func (s *selection) at(i int) int {
	m := s.hi - s.lo
	if i < m {
		return s.lo + (s.start+i)%m
	}
	return (s.hi + i - m) % len(s.endpoints)
}

// next returns the next endpoint to try, or false when all were tried.
// An ejected endpoint is still tried when nothing else is left, so a
// single-instance app is never cut off by its own hiccup.
func (s *selection) next(ej *ejector, now time.Time) (routing.Endpoint, bool) {
	if s.attempts >= s.limit {
		return routing.Endpoint{}, false
	}
	fallback := -1
	for i := range s.limit {
		idx := s.at(i)
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
