package placement

import "slices"

// portCursor hands out the lowest free ports of a host in increasing order.
// Within one plan ports are only ever taken, so the lowest free port never
// moves down and a cursor over the sorted used ports finds each one in
// amortised O(1).
type portCursor struct {
	next, max int32
	used      []int32 // sorted
	j         int     // used[:j] are all below next
}

func newPortCursor(lo, hi int, used []int32) *portCursor {
	lo, hi = min(max(lo, 1), 65536), min(hi, 65535)
	slices.Sort(used)
	return &portCursor{next: int32(lo), max: int32(hi), used: used}
}

// peek returns the lowest free port without taking it.
func (p *portCursor) peek() (int, bool) {
	for p.next <= p.max {
		for p.j < len(p.used) && p.used[p.j] < p.next {
			p.j++
		}
		if p.j < len(p.used) && p.used[p.j] == p.next {
			p.next++
			continue
		}
		return int(p.next), true
	}
	return 0, false
}

// take returns the lowest free port and marks it used.
func (p *portCursor) take() (int, bool) {
	port, ok := p.peek()
	if ok {
		p.next++
	}
	return port, ok
}
