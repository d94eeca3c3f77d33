package stats

import (
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// ring keeps one app's last len(slots) seconds as per-second histograms, so
// a window is a merge of a few small arrays rather than a scan of requests.
type ring struct {
	mu    sync.Mutex
	slots []slot
	born  int64 // unix second of the first observation
	// period is the traffic per release since the last drain, kept under
	// the same lock as the window so that a request's count, error and
	// latency always land in the same period.
	period map[int]*releaseCounts
}

type slot struct {
	sec    int64
	count  uint32
	errors uint32
	hist   [numBuckets]uint32
}

func newRing(seconds int, now time.Time) *ring {
	return &ring{slots: make([]slot, seconds), born: now.Unix(), period: map[int]*releaseCounts{}}
}

func (r *ring) observe(now time.Time, d time.Duration, isErr bool, release int) {
	sec := now.Unix()
	b := bucketOf(d)
	lb := latencyBucket(d)
	r.mu.Lock()
	p := r.period[release]
	if p == nil {
		p = newReleaseCounts()
		r.period[release] = p
	}
	p.requests++
	if isErr {
		p.errors++
	}
	p.latency[lb]++
	s := &r.slots[int(sec%int64(len(r.slots)))]
	if s.sec != sec {
		*s = slot{sec: sec}
	}
	s.count++
	if isErr {
		s.errors++
	}
	s.hist[b]++
	r.mu.Unlock()
}

func (r *ring) drain() []events.ReleaseTraffic {
	r.mu.Lock()
	defer r.mu.Unlock()
	return drainPeriod(r.period)
}

func (r *ring) snapshot(now time.Time) Stats {
	sec := now.Unix()
	n := int64(len(r.slots))
	var (
		hist          [numBuckets]uint32
		count, errors uint64
	)
	r.mu.Lock()
	for i := range r.slots {
		s := &r.slots[i]
		if s.sec <= sec-n || s.sec > sec {
			continue
		}
		count += uint64(s.count)
		errors += uint64(s.errors)
		for b, c := range s.hist {
			hist[b] += c
		}
	}
	born := r.born
	r.mu.Unlock()

	// A young ring has not seen a full window yet; rates over the whole
	// window would understate a burst that just began.
	span := min(n, sec-born+1)
	window := time.Duration(span) * time.Second
	return Stats{
		Requests: int64(count),
		Errors:   int64(errors),
		RPS:      float64(count) / window.Seconds(),
		P50:      quantile(&hist, count, 0.50),
		P95:      quantile(&hist, count, 0.95),
		Window:   window,
	}
}
