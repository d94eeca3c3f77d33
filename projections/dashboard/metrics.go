package dashboard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events"
)

// Metrics keeps the last Window of the samples agents and gateways publish
// on core NATS, in Bucket-wide buckets, for the charts. Every server keeps
// its own copy from the same subjects, so two servers show the same.
type Metrics struct {
	mu   sync.Mutex
	apps map[string]*appSeries
}

// Chart window and resolution.
const (
	Window = 15 * time.Minute
	Bucket = 10 * time.Second
	// fresh is how old the latest sample may be to count as current.
	fresh = 30 * time.Second
)

type appSeries struct {
	traffic []trafficBucket
	cpu     []cpuBucket
	// latest instance samples, for the instance table.
	latest map[string]events.InstanceSample
}

type trafficBucket struct {
	start time.Time
	// per gateway, the last sample in the bucket.
	byGateway map[string]events.GatewaySample
	// requests and 5xx answers of every release, summed over every
	// sample: their periods never overlap.
	requests, errors int64
}

type cpuBucket struct {
	start time.Time
	sum   map[string]float64
	n     map[string]int
}

// NewMetrics is an empty store; feed it with Subscribe or the Add methods.
func NewMetrics() *Metrics { return &Metrics{apps: map[string]*appSeries{}} }

// Subscribe feeds m from nc until the returned stop is called.
func (m *Metrics) Subscribe(nc *nats.Conn) (stop func(), err error) {
	sub, err := nc.Subscribe(events.MetricsSubjectPrefix+".>", func(msg *nats.Msg) {
		switch {
		case strings.HasPrefix(msg.Subject, events.MetricsSubjectPrefix+".gateway."):
			var s events.GatewaySample
			if json.Unmarshal(msg.Data, &s) == nil && s.App != "" {
				m.AddGateway(s)
			}
		case strings.HasPrefix(msg.Subject, events.MetricsSubjectPrefix+".instance."):
			var s events.InstanceSample
			if json.Unmarshal(msg.Data, &s) == nil && s.App != "" {
				m.AddInstance(s)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to metrics: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

func (m *Metrics) series(app string) *appSeries {
	a, ok := m.apps[app]
	if !ok {
		a = &appSeries{latest: map[string]events.InstanceSample{}}
		m.apps[app] = a
	}
	return a
}

// AddGateway records a gateway's traffic summary.
func (m *Metrics) AddGateway(s events.GatewaySample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.series(s.App)
	start := s.Time.Truncate(Bucket)
	if n := len(a.traffic); n == 0 || a.traffic[n-1].start.Before(start) {
		a.traffic = append(a.traffic, trafficBucket{start: start, byGateway: map[string]events.GatewaySample{}})
	}
	b := &a.traffic[len(a.traffic)-1]
	if b.start.Equal(start) {
		b.byGateway[s.Gateway] = s
		for _, r := range s.Releases {
			b.requests += r.Requests
			b.errors += r.Errors
		}
	}
	a.traffic = pruneTraffic(a.traffic, start.Add(-Window))
}

// AddInstance records an agent's reading of one container.
func (m *Metrics) AddInstance(s events.InstanceSample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.series(s.App)
	if prev, ok := a.latest[s.Instance]; !ok || !s.Time.Before(prev.Time) {
		a.latest[s.Instance] = s
	}
	start := s.Time.Truncate(Bucket)
	if n := len(a.cpu); n == 0 || a.cpu[n-1].start.Before(start) {
		a.cpu = append(a.cpu, cpuBucket{start: start, sum: map[string]float64{}, n: map[string]int{}})
	}
	b := &a.cpu[len(a.cpu)-1]
	if b.start.Equal(start) {
		b.sum[s.Instance] += s.CPUPercent
		b.n[s.Instance]++
	}
	for len(a.cpu) > 0 && a.cpu[0].start.Before(start.Add(-Window)) {
		a.cpu = a.cpu[1:]
	}
	for id, l := range a.latest {
		if l.Time.Before(start.Add(-Window)) {
			delete(a.latest, id)
		}
	}
}

func pruneTraffic(b []trafficBucket, before time.Time) []trafficBucket {
	for len(b) > 0 && b[0].start.Before(before) {
		b = b[1:]
	}
	return b
}

// Traffic is an app's gateway figures at one time, summed over gateways
// (rates) or the worst of them (latency).
type Traffic struct {
	T     time.Time
	RPS   float64
	P95MS float64
	// Requests and Errors (5xx, the gateway's own included) counted by
	// the gateways in the bucket.
	Requests, Errors int64
}

// ErrorPct is the share of 5xx answers in percent, 0 without requests.
func (t Traffic) ErrorPct() float64 {
	if t.Requests == 0 {
		return 0
	}
	return 100 * float64(t.Errors) / float64(t.Requests)
}

// AppMetrics is what the pages show of one app's samples.
type AppMetrics struct {
	Traffic []Traffic
	// Current is the latest bucket if it is fresh; zero otherwise.
	Current    Traffic
	HasCurrent bool
	// CPU is one series per instance, in percent of one CPU.
	CPU []Series
	// Latest holds each instance's latest fresh sample.
	Latest map[string]events.InstanceSample
}

// App returns the app's figures as of now.
func (m *Metrics) App(app string, now time.Time) AppMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := AppMetrics{Latest: map[string]events.InstanceSample{}}
	a, ok := m.apps[app]
	if !ok {
		return out
	}
	for _, b := range a.traffic {
		t := Traffic{T: b.start, Requests: b.requests, Errors: b.errors}
		for _, s := range b.byGateway {
			t.RPS += s.RPS
			t.P95MS = max(t.P95MS, s.P95MS)
		}
		out.Traffic = append(out.Traffic, t)
	}
	if n := len(out.Traffic); n > 0 && now.Sub(out.Traffic[n-1].T) <= fresh {
		out.Current, out.HasCurrent = out.Traffic[n-1], true
	}
	byInst := map[string][]Point{}
	for _, b := range a.cpu {
		for id, sum := range b.sum {
			byInst[id] = append(byInst[id], Point{T: b.start, V: sum / float64(b.n[id])})
		}
	}
	ids := make([]string, 0, len(byInst))
	for id := range byInst {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out.CPU = append(out.CPU, Series{Name: id, Points: byInst[id]})
	}
	for id, s := range a.latest {
		if now.Sub(s.Time) <= fresh {
			out.Latest[id] = s
		}
	}
	return out
}
