package dockerrt

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
)

func msg(action events.Action, id string, attrs map[string]string) events.Message {
	return events.Message{Type: events.ContainerEventType, Action: action, TimeNano: 1,
		Actor: events.Actor{ID: id, Attributes: attrs}}
}

func TestTranslate(t *testing.T) {
	labels := map[string]string{LabelApp: "web", LabelInstance: "web-3f2a1c", LabelHost: "h1"}
	die := map[string]string{LabelApp: "web", LabelInstance: "web-3f2a1c", LabelHost: "h1", "exitCode": "137"}
	oom := map[string]bool{}

	ev, ok := translate(msg(events.ActionStart, "c1", labels), oom)
	if !ok || ev.Kind != EventStarted || ev.App != "web" || ev.Instance != "web-3f2a1c" || ev.Host != "h1" {
		t.Fatalf("start -> %+v %v", ev, ok)
	}
	if _, ok := translate(msg(events.ActionOOM, "c1", labels), oom); ok {
		t.Fatal("oom is remembered, not emitted")
	}
	ev, ok = translate(msg(events.ActionDie, "c1", die), oom)
	if !ok || ev.Kind != EventExited || ev.ExitCode != 137 || !ev.OOMKilled {
		t.Fatalf("die after oom -> %+v %v", ev, ok)
	}
	ev, _ = translate(msg(events.ActionDie, "c1", die), oom)
	if ev.OOMKilled {
		t.Fatal("oom mark outlived the die it belonged to")
	}
	if _, ok := translate(events.Message{Type: events.ImageEventType, Action: events.ActionDie}, oom); ok {
		t.Fatal("image event translated")
	}
}

func TestCPUPercent(t *testing.T) {
	stats := func(cpu, sys, preCPU, preSys uint64, online uint32) container.StatsResponse {
		var s container.StatsResponse
		s.CPUStats.CPUUsage.TotalUsage, s.CPUStats.SystemUsage, s.CPUStats.OnlineCPUs = cpu, sys, online
		s.PreCPUStats.CPUUsage.TotalUsage, s.PreCPUStats.SystemUsage = preCPU, preSys
		return s
	}
	tests := []struct {
		name string
		in   container.StatsResponse
		want float64
	}{
		// System time counts all CPUs: 2 CPUs over 1s = 2e9ns; 1e9ns of container CPU = one CPU busy.
		{"one of two CPUs busy", stats(2e9, 12e9, 1e9, 10e9, 2), 100},
		{"quarter CPU", stats(1.25e9, 12e9, 1e9, 10e9, 2), 25},
		{"online from percpu", func() container.StatsResponse {
			s := stats(2e9, 12e9, 1e9, 10e9, 0)
			s.CPUStats.CPUUsage.PercpuUsage = []uint64{1, 1, 1, 1}
			return s
		}(), 200},
		{"no previous reading", stats(2e9, 12e9, 0, 0, 2), 0},
		{"counter reset", stats(1e9, 12e9, 2e9, 10e9, 2), 0},
	}
	for _, tt := range tests {
		if got := cpuPercentOf(tt.in); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMemUsage(t *testing.T) {
	v1 := container.MemoryStats{Usage: 100, Stats: map[string]uint64{"total_inactive_file": 30, "inactive_file": 10}}
	v2 := container.MemoryStats{Usage: 100, Stats: map[string]uint64{"inactive_file": 10}}
	odd := container.MemoryStats{Usage: 100, Stats: map[string]uint64{"inactive_file": 500}}
	for _, tt := range []struct {
		in   container.MemoryStats
		want uint64
	}{{v1, 70}, {v2, 90}, {odd, 100}} {
		if got := memUsageOf(tt.in); got != tt.want {
			t.Errorf("memUsageOf(%+v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
