package stats

import (
	"cmp"
	"slices"
	"time"

	"github.com/berth-dev/berth/events"
)

// latencyBounds are events.LatencyBoundsMS as durations, for bucketing
// without float math per request.
var latencyBounds = func() []time.Duration {
	b := make([]time.Duration, len(events.LatencyBoundsMS))
	for i, ms := range events.LatencyBoundsMS {
		b[i] = time.Duration(ms * float64(time.Millisecond))
	}
	return b
}()

// latencyBucket is the index of the first events.LatencyBoundsMS bound at
// or above d; len(bounds) for anything slower.
func latencyBucket(d time.Duration) int {
	i, _ := slices.BinarySearch(latencyBounds, d)
	return i
}

// releaseCounts is one release's traffic since the last drain.
type releaseCounts struct {
	requests, errors int64
	latency          []int64 // per latencyBounds bucket, plus overflow
}

func newReleaseCounts() *releaseCounts {
	return &releaseCounts{latency: make([]int64, len(latencyBounds)+1)}
}

// drainPeriod hands out the per-release counts gathered since the last
// drain and starts afresh, so no request is ever in two drains. Releases
// without traffic in the period are left out and forgotten. Must hold r.mu.
func drainPeriod(period map[int]*releaseCounts) []events.ReleaseTraffic {
	var out []events.ReleaseTraffic
	for rel, c := range period {
		if c.requests == 0 {
			delete(period, rel)
			continue
		}
		out = append(out, events.ReleaseTraffic{
			Release:  rel,
			Requests: c.requests,
			Errors:   c.errors,
			Latency:  slices.Clone(c.latency),
		})
		c.requests, c.errors = 0, 0
		clear(c.latency)
	}
	slices.SortFunc(out, func(a, b events.ReleaseTraffic) int { return cmp.Compare(a.Release, b.Release) })
	return out
}
