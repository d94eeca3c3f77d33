package dashboard

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

func TestMetricsSumGatewaysAndKeepTheWindow(t *testing.T) {
	m := NewMetrics()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Two gateways in the same bucket: rates add up, latency is the worst;
	// a later sample of one gateway in the bucket replaces its earlier one.
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: 10, P95MS: 30, Time: at(0)})
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g2", RPS: 5, P95MS: 80, Time: at(1)})
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: 12, P95MS: 35, Time: at(2)})
	// A late sample for an older bucket is dropped.
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: 99, P95MS: 999, Time: at(-30)})
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: 7, P95MS: 20, Time: at(20)})

	got := m.App("web", at(25))
	if len(got.Traffic) != 2 {
		t.Fatalf("%d buckets, want 2: %+v", len(got.Traffic), got.Traffic)
	}
	if b := got.Traffic[0]; b.RPS != 17 || b.P95MS != 80 {
		t.Errorf("first bucket %+v, want 17 req/s and p95 80", b)
	}
	if !got.HasCurrent || got.Current.RPS != 7 {
		t.Errorf("current %+v (%v), want the last bucket", got.Current, got.HasCurrent)
	}
	if stale := m.App("web", at(20).Add(time.Minute)); stale.HasCurrent {
		t.Errorf("a minute-old bucket counts as current")
	}
	// Buckets older than Window are dropped as new ones come.
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: 1, Time: at(0).Add(Window + time.Minute)})
	if n := len(m.App("web", at(0).Add(Window+time.Minute)).Traffic); n != 1 {
		t.Errorf("%d buckets after the window moved on, want 1", n)
	}
}

func TestMetricsErrorRateSumsEveryPeriod(t *testing.T) {
	m := NewMetrics()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	rel := func(req, errs int64) []events.ReleaseTraffic {
		return []events.ReleaseTraffic{{Release: 2, Requests: req, Errors: errs}}
	}
	// Two periods of one gateway and one of another, in one bucket: the
	// counts add up although the later sample replaces the earlier's rate.
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", Time: at(0), Releases: rel(50, 1)})
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g1", Time: at(1), Releases: rel(30, 3)})
	m.AddGateway(events.GatewaySample{App: "web", Gateway: "g2", Time: at(2), Releases: rel(20, 1)})
	got := m.App("web", at(3))
	if !got.HasCurrent || got.Current.Requests != 100 || got.Current.Errors != 5 || got.Current.ErrorPct() != 5 {
		t.Fatalf("current %+v, want 5 errors in 100 requests (5%%)", got.Current)
	}
	if (Traffic{}).ErrorPct() != 0 {
		t.Errorf("no requests: error rate not 0")
	}
}

func TestMetricsCPUPerInstance(t *testing.T) {
	m := NewMetrics()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	m.AddInstance(events.InstanceSample{App: "web", Instance: "b", CPUPercent: 10, MemBytes: 1 << 20, Time: at(0)})
	m.AddInstance(events.InstanceSample{App: "web", Instance: "b", CPUPercent: 30, MemBytes: 2 << 20, Time: at(2)})
	m.AddInstance(events.InstanceSample{App: "web", Instance: "a", CPUPercent: 50, Time: at(3)})
	m.AddInstance(events.InstanceSample{App: "web", Instance: "a", CPUPercent: 70, Time: at(12)})
	got := m.App("web", at(15))
	if len(got.CPU) != 2 || got.CPU[0].Name != "a" || got.CPU[1].Name != "b" {
		t.Fatalf("series %+v, want a and b", got.CPU)
	}
	if p := got.CPU[1].Points; len(p) != 1 || p[0].V != 20 {
		t.Errorf("b's points %+v, want one bucket averaging 20", p)
	}
	if p := got.CPU[0].Points; len(p) != 2 || p[1].V != 70 {
		t.Errorf("a's points %+v, want two buckets", p)
	}
	if s := got.Latest["b"]; s.MemBytes != 2<<20 {
		t.Errorf("b's latest sample %+v", s)
	}
	if _, ok := m.App("web", at(15).Add(time.Minute)).Latest["a"]; ok {
		t.Error("a minute-old sample is shown as current")
	}
	if other := m.App("api", at(15)); len(other.CPU) != 0 || other.HasCurrent {
		t.Errorf("an app without samples has %+v", other)
	}
}
