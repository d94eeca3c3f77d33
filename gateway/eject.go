package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// ejector remembers endpoints that refused a connection, so that for a
// short while new requests skip them instead of paying a failed dial.
type ejector struct {
	d     time.Duration
	count atomic.Int64 // entries in until; lets the common case skip the map
	until sync.Map     // addr -> time.Time
}

func newEjector(d time.Duration) *ejector { return &ejector{d: d} }

func (e *ejector) eject(addr string, now time.Time) {
	if _, loaded := e.until.Swap(addr, now.Add(e.d)); !loaded {
		e.count.Add(1)
	}
}

func (e *ejector) ejected(addr string, now time.Time) bool {
	if e.count.Load() == 0 {
		return false
	}
	v, ok := e.until.Load(addr)
	if !ok {
		return false
	}
	if now.Before(v.(time.Time)) {
		return true
	}
	if e.until.CompareAndDelete(addr, v) {
		e.count.Add(-1)
	}
	return false
}
