package rollout

import (
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// trafficLog keeps the gateways' per-release samples of the last Keep, by
// app and release. Samples cover disjoint periods, so a sum over any
// interval counts every request once.
type trafficLog struct {
	mu      sync.Mutex
	keep    time.Duration
	samples map[string][]sample // by app
}

type sample struct {
	at      time.Time
	release int
	traffic Traffic
}

func newTrafficLog(keep time.Duration) *trafficLog {
	return &trafficLog{keep: keep, samples: map[string][]sample{}}
}

// add records a gateway's sample, stamped with when it arrived (the
// gateways' clocks are not this worker's).
func (l *trafficLog) add(s events.GatewaySample, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.samples[s.App]
	cut := 0
	for cut < len(list) && at.Sub(list[cut].at) > l.keep {
		cut++
	}
	list = list[cut:]
	for _, r := range s.Releases {
		lat := make([]int64, len(r.Latency))
		copy(lat, r.Latency)
		list = append(list, sample{at: at, release: r.Release, traffic: Traffic{Requests: r.Requests, Errors: r.Errors, Latency: lat}})
	}
	l.samples[s.App] = list
}

// since sums app's release traffic in samples that arrived after t.
func (l *trafficLog) since(app string, release int, t time.Time) Traffic {
	l.mu.Lock()
	defer l.mu.Unlock()
	var sum Traffic
	for _, s := range l.samples[app] {
		if s.release != release || !s.at.After(t) {
			continue
		}
		sum.Requests += s.traffic.Requests
		sum.Errors += s.traffic.Errors
		if len(sum.Latency) < len(s.traffic.Latency) {
			sum.Latency = append(sum.Latency, make([]int64, len(s.traffic.Latency)-len(sum.Latency))...)
		}
		for i, n := range s.traffic.Latency {
			sum.Latency[i] += n
		}
	}
	return sum
}
