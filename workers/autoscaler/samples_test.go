package autoscaler

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

func TestReadingCountsLiveFreshInstancesOnly(t *testing.T) {
	s := newSamples()
	stale := 6 * time.Second
	s.addInstance("web", events.InstanceSample{Instance: "web-aaaaaa", CPUPercent: 10}, noon.Add(-time.Second))
	s.addInstance("web", events.InstanceSample{Instance: "web-aaaaaa", CPUPercent: 80}, noon) // the latest counts
	s.addInstance("web", events.InstanceSample{Instance: "web-bbbbbb", CPUPercent: 40}, noon.Add(-stale))
	s.addInstance("web", events.InstanceSample{Instance: "web-cccccc", CPUPercent: 99}, noon.Add(-stale-time.Millisecond)) // stale
	s.addInstance("web", events.InstanceSample{Instance: "web-dddddd", CPUPercent: 500}, noon)                             // not live
	s.addInstance("api", events.InstanceSample{Instance: "api-aaaaaa", CPUPercent: 70}, noon)                              // other app

	live := map[string]bool{"web-aaaaaa": true, "web-bbbbbb": true, "web-cccccc": true, "web-eeeeee": true}
	got := s.reading("web", live, noon, stale)
	want := Reading{Time: noon, CPU: 60, Reporting: 2, Live: 4}
	if got != want {
		t.Fatalf("reading = %+v, want %+v", got, want)
	}
	if got := s.reading("nope", live, noon, stale); got != (Reading{Time: noon, Live: 4}) {
		t.Fatalf("reading of an app without samples = %+v", got)
	}
}

func TestReadingSumsGatewayTrafficAndTakesWorstLatency(t *testing.T) {
	s := newSamples()
	stale := 6 * time.Second
	s.addGateway("web", events.GatewaySample{Gateway: "g1", RPS: 30, P50MS: 20, P95MS: 100}, noon)
	s.addGateway("web", events.GatewaySample{Gateway: "g2", RPS: 40, P50MS: 35, P95MS: 500}, noon.Add(-5*time.Second))
	s.addGateway("web", events.GatewaySample{Gateway: "g3", RPS: 1000, P50MS: 900, P95MS: 9000}, noon.Add(-7*time.Second)) // stale
	got := s.reading("web", nil, noon, stale)
	want := Reading{Time: noon, RPS: 70, P50MS: 35, P95MS: 500, Gateways: 2}
	if got != want {
		t.Fatalf("reading = %+v, want %+v", got, want)
	}
}

func TestExpireForgetsStaleSamples(t *testing.T) {
	s := newSamples()
	s.addInstance("web", events.InstanceSample{Instance: "web-aaaaaa", CPUPercent: 50}, noon.Add(-10*time.Second))
	s.addGateway("web", events.GatewaySample{Gateway: "g1", P95MS: 50}, noon.Add(-10*time.Second))
	s.addInstance("api", events.InstanceSample{Instance: "api-aaaaaa", CPUPercent: 50}, noon)
	s.expire(noon, 6*time.Second)
	if _, ok := s.apps["web"]; ok {
		t.Fatal("web's stale samples are still kept")
	}
	if got := s.reading("api", map[string]bool{"api-aaaaaa": true}, noon, 6*time.Second); got.Reporting != 1 {
		t.Fatalf("api's fresh sample was expired: %+v", got)
	}
}
