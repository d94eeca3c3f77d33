package placement_test

import (
	"testing"

	"github.com/berth-dev/berth/workers/placement"
	"github.com/berth-dev/berth/workers/placement/placementtest"
)

func TestComputeReasons(t *testing.T) {
	full := func(h placement.Host) placement.Host { h.PortMin, h.PortMax = 20000, 20000; return h }
	lost := func(h placement.Host) placement.Host { h.Lost = true; return h }
	tests := []struct {
		name      string
		hosts     []placement.Host
		instances []placement.Instance
		app       placement.AppSpec
		unplaced  int
		want      []string
	}{
		{
			name:     "empty cluster",
			app:      placement.AppSpec{Name: "web", Replicas: 2},
			unplaced: 2,
			want:     []string{"no hosts registered"},
		},
		{
			name:     "no host has the label",
			hosts:    []placement.Host{host("h1", "", gib, 1, "disk", "hdd"), host("h2", "", gib, 1)},
			app:      placement.AppSpec{Name: "web", Replicas: 1, Constraints: map[string]string{"disk": "ssd"}},
			unplaced: 1,
			want:     []string{"no host matches constraint disk=ssd"},
		},
		{
			name: "some hosts have the label but are full",
			hosts: []placement.Host{
				host("h1", "", 256*mib, 1, "disk", "ssd"), host("h2", "", gib, 1, "disk", "hdd"), host("h3", "", gib, 1),
			},
			app:      placement.AppSpec{Name: "web", Replicas: 1, MemoryBytes: 512 * mib, Constraints: map[string]string{"disk": "ssd"}},
			unplaced: 1,
			want:     []string{"constraint disk=ssd not met on 2 hosts", "insufficient memory on h1 (need 512MiB)"},
		},
		{
			name:     "memory on several hosts",
			hosts:    []placement.Host{host("h1", "", gib, 1), host("h2", "", gib, 1), host("h3", "", gib, 1)},
			app:      placement.AppSpec{Name: "web", Replicas: 4, MemoryBytes: 1536 * mib},
			unplaced: 4,
			want:     []string{"insufficient memory on 3 hosts (need 1.5GiB)"},
		},
		{
			name:     "cpu",
			hosts:    []placement.Host{host("h1", "", gib, 1), host("h2", "", gib, 0.5)},
			app:      placement.AppSpec{Name: "web", Replicas: 3, CPUs: 1},
			unplaced: 2,
			want:     []string{"insufficient cpu on 2 hosts (need 1 cpu)"},
		},
		{
			name:     "fractional cpu",
			hosts:    []placement.Host{host("h1", "", gib, 0.25)},
			app:      placement.AppSpec{Name: "web", Replicas: 1, CPUs: 0.5},
			unplaced: 1,
			want:     []string{"insufficient cpu on h1 (need 0.5 cpus)"},
		},
		{
			name:     "max per host",
			hosts:    []placement.Host{host("h1", "", gib, 1), host("h2", "", gib, 1)},
			app:      placement.AppSpec{Name: "web", Replicas: 3, MaxPerHost: 1},
			unplaced: 1,
			want:     []string{"max-per-host 1 reached on 2 hosts"},
		},
		{
			name:      "ports",
			hosts:     []placement.Host{full(host("h1", "", gib, 1))},
			instances: []placement.Instance{inst("db-000001", "db", "h1", 20000, placement.StateRunning)},
			app:       placement.AppSpec{Name: "web", Replicas: 1},
			unplaced:  1,
			want:      []string{"no free port on h1"},
		},
		{
			name:     "each host blamed on its first limit",
			hosts:    []placement.Host{full(host("h1", "", gib, 1)), host("h2", "", 0, 1), host("h3", "", gib, 0), lost(host("h4", "", gib, 1))},
			app:      placement.AppSpec{Name: "web", Replicas: 3, MemoryBytes: 100 * mib, CPUs: 0.5, MaxPerHost: 1},
			unplaced: 2,
			want: []string{
				"host h4 is lost",
				"max-per-host 1 reached on h1",
				"insufficient memory on h2 (need 100MiB)",
				"insufficient cpu on h3 (need 0.5 cpus)",
			},
		},
		{
			name:     "all hosts lost",
			hosts:    []placement.Host{lost(host("h1", "", gib, 1)), lost(host("h2", "", gib, 1))},
			app:      placement.AppSpec{Name: "web", Replicas: 1, Constraints: map[string]string{"disk": "ssd"}},
			unplaced: 1,
			want:     []string{"2 hosts are lost"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &placement.Cluster{Hosts: tt.hosts, Instances: tt.instances}
			p := placement.Compute(c, tt.app, placementtest.SeqIDs(tt.app.Name))
			if p.Unplaced != tt.unplaced {
				t.Errorf("unplaced = %d, want %d", p.Unplaced, tt.unplaced)
			}
			equal(t, "reasons", p.Reasons, tt.want)
		})
	}
}
