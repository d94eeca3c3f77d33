package placement_test

import (
	"testing"

	"github.com/berth-dev/berth/workers/placement"
	"github.com/berth-dev/berth/workers/placement/placementtest"
)

func TestComputePlacement(t *testing.T) {
	app := func(replicas int) placement.AppSpec { return placement.AppSpec{Name: "web", Replicas: replicas} }
	tests := []struct {
		name      string
		hosts     []placement.Host
		instances []placement.Instance
		reserved  map[string]map[int]bool
		app       placement.AppSpec
		want      []string // hosts, in placement order
		unplaced  int
	}{
		{
			name:  "zones are spread before hosts",
			hosts: []placement.Host{host("a1", "a", gib, 1), host("a2", "a", gib, 1), host("a3", "a", gib, 1), host("b1", "b", gib, 1)},
			app:   app(4),
			want:  []string{"a1", "b1", "a2", "b1"},
		},
		{
			name:  "hosts in a zone are spread",
			hosts: []placement.Host{host("h1", "", gib, 1), host("h2", "", gib, 1), host("h3", "", gib, 1)},
			instances: []placement.Instance{
				inst("web-000a01", "web", "h1", 20000, placement.StateRunning),
				inst("web-000a02", "web", "h1", 20001, placement.StateRunning),
				inst("web-000a03", "web", "h3", 20000, placement.StateHealthy),
			},
			app:  app(6),
			want: []string{"h2", "h2", "h3"},
		},
		{
			name:  "existing instances count toward their zone",
			hosts: []placement.Host{host("a1", "a", gib, 1), host("a2", "a", gib, 1), host("b1", "b", gib, 1)},
			instances: []placement.Instance{
				inst("web-000a01", "web", "a1", 20000, placement.StateScheduled),
			},
			app:  app(3),
			want: []string{"b1", "a2"},
		},
		{
			name: "most free memory breaks ties, then host id",
			hosts: []placement.Host{
				host("h1", "", 8*gib, 4), host("h2", "", 16*gib, 4), host("h3", "", 16*gib, 4), host("h0", "", 8*gib, 4),
			},
			instances: []placement.Instance{
				{ID: "db-000001", App: "db", Host: "h3", Port: 20000, MemoryBytes: 4 * gib, State: placement.StateRunning},
			},
			app:  app(4),
			want: []string{"h2", "h3", "h0", "h1"},
		},
		{
			name: "all constraints must match labels exactly",
			hosts: []placement.Host{
				host("h1", "", gib, 1, "disk", "ssd"),
				host("h2", "", gib, 1, "disk", "ssd", "gpu", "yes"),
				host("h3", "", gib, 1, "disk", "SSD", "gpu", "yes"),
				host("h4", "", gib, 1, "gpu", "yes"),
			},
			app:  placement.AppSpec{Name: "web", Replicas: 2, Constraints: map[string]string{"disk": "ssd", "gpu": "yes"}},
			want: []string{"h2", "h2"},
		},
		{
			name:  "memory is shared with other apps",
			hosts: []placement.Host{host("h1", "", 2*gib, 8), host("h2", "", 2*gib, 8)},
			instances: []placement.Instance{
				{ID: "db-000001", App: "db", Host: "h1", Port: 20000, MemoryBytes: 1536 * mib, State: placement.StateRunning},
			},
			app:      placement.AppSpec{Name: "web", Replicas: 6, MemoryBytes: 512 * mib},
			want:     []string{"h2", "h1", "h2", "h2", "h2"},
			unplaced: 1,
		},
		{
			name:  "cpu is shared with other apps",
			hosts: []placement.Host{host("h1", "", 0, 2), host("h2", "", 0, 1)},
			instances: []placement.Instance{
				{ID: "db-000001", App: "db", Host: "h1", Port: 20000, CPUs: 1.5, State: placement.StateRunning},
			},
			app:      placement.AppSpec{Name: "web", Replicas: 4, CPUs: 0.5},
			want:     []string{"h1", "h2", "h2"},
			unplaced: 1,
		},
		{
			name:  "stopping instances still hold resources",
			hosts: []placement.Host{host("h1", "", gib, 1)},
			instances: []placement.Instance{
				{ID: "web-000a01", App: "web", Host: "h1", Port: 20000, MemoryBytes: gib, State: placement.StateStopping},
			},
			app:      placement.AppSpec{Name: "web", Replicas: 1, MemoryBytes: gib},
			unplaced: 1,
		},
		{
			name:  "exited and stopped instances hold nothing",
			hosts: []placement.Host{host("h1", "", gib, 1)},
			instances: []placement.Instance{
				{ID: "db-000001", App: "db", Host: "h1", Port: 20000, MemoryBytes: gib, State: placement.StateStopped},
				{ID: "db-000002", App: "db", Host: "h1", Port: 20001, MemoryBytes: gib, State: placement.StateExited},
			},
			app:  placement.AppSpec{Name: "web", Replicas: 1, MemoryBytes: gib},
			want: []string{"h1"},
		},
		{
			name:     "max per host",
			hosts:    []placement.Host{host("h1", "", gib, 1), host("h2", "", gib, 1)},
			app:      placement.AppSpec{Name: "web", Replicas: 5, MaxPerHost: 2},
			want:     []string{"h1", "h2", "h1", "h2"},
			unplaced: 1,
		},
		{
			name:     "lost hosts get nothing",
			hosts:    []placement.Host{{ID: "h0", Lost: true, PortMin: 1, PortMax: 9}, host("h1", "", gib, 1)},
			app:      app(2),
			want:     []string{"h1", "h1"},
			unplaced: 0,
		},
		{
			name:  "a host without free ports is skipped",
			hosts: []placement.Host{host("h1", "", gib, 1), host("h2", "", 0, 1)},
			reserved: map[string]map[int]bool{"h1": {
				20000: true, 20001: true, 20002: true, 20003: true, 20004: true,
				20005: true, 20006: true, 20007: true, 20008: true, 20009: true,
			}},
			app:  app(2),
			want: []string{"h2", "h2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &placement.Cluster{Hosts: tt.hosts, Instances: tt.instances, ReservedPorts: tt.reserved}
			p := placement.Compute(c, tt.app, placementtest.SeqIDs(tt.app.Name))
			equal(t, "placed on", hostsOf(p), tt.want)
			if p.Unplaced != tt.unplaced {
				t.Errorf("unplaced = %d, want %d (reasons %q)", p.Unplaced, tt.unplaced, p.Reasons)
			}
			if (p.Unplaced > 0) != (len(p.Reasons) > 0) {
				t.Errorf("unplaced %d with reasons %q", p.Unplaced, p.Reasons)
			}
		})
	}
}

func TestComputePorts(t *testing.T) {
	h1 := host("h1", "", 0, 0)
	h2 := host("h2", "", 0, 0)
	c := &placement.Cluster{
		Hosts: []placement.Host{h1, h2},
		Instances: []placement.Instance{
			inst("db-000001", "db", "h1", 20000, placement.StateRunning),
			inst("db-000002", "db", "h1", 20002, placement.StateStopping),
			inst("db-000003", "db", "h1", 20004, placement.StateFailed), // frees its port
			inst("db-000004", "db", "h2", 20001, placement.StateHealthy),
		},
		ReservedPorts: map[string]map[int]bool{"h1": {20003: true, 20005: false}, "h2": {20000: true}},
	}
	p := placement.Compute(c, placement.AppSpec{Name: "web", Replicas: 6}, placementtest.SeqIDs("web"))
	equal(t, "placements", placed(p), []string{
		"web-000001@h1:20001",
		"web-000002@h2:20002",
		"web-000003@h1:20004",
		"web-000004@h2:20003",
		"web-000005@h1:20005",
		"web-000006@h2:20004",
	})
	for _, pl := range p.Place {
		if pl.Addr != "127.0.0.1" {
			t.Errorf("%s addr = %q, want the host's", pl.InstanceID, pl.Addr)
		}
	}
}

func TestComputeReplacesLostAndFailed(t *testing.T) {
	c := &placement.Cluster{
		Hosts: []placement.Host{
			host("a1", "a", gib, 1), {ID: "a2", Zone: "a", Lost: true, PortMin: 20000, PortMax: 20009}, host("b1", "b", gib, 1),
		},
		Instances: []placement.Instance{
			inst("web-000a01", "web", "a1", 20000, placement.StateRunning),
			inst("web-000a02", "web", "a2", 20000, placement.StateHealthy),
			inst("web-000a03", "web", "b1", 20000, placement.StateFailed),
			inst("web-000a04", "web", "b1", 20001, placement.StateExited),
			inst("web-000a05", "web", "gone", 20000, placement.StateRunning),
			inst("web-000a06", "web", "b1", 20002, placement.StateStopped),
			inst("db-000001", "db", "a2", 20001, placement.StateRunning), // another app's, left alone
		},
	}
	p := placement.Compute(c, placement.AppSpec{Name: "web", Replicas: 3}, placementtest.SeqIDs("web"))
	equal(t, "removed", removed(p), []string{
		"web-000a02@a2 (host lost)",
		"web-000a03@b1 (instance failed)",
		"web-000a04@b1 (instance exited)",
		"web-000a05@gone (host unknown)",
	})
	equal(t, "placed", placed(p), []string{"web-000001@b1:20000", "web-000002@a1:20001"})
}

func TestComputeSkipsUsedIDs(t *testing.T) {
	c := &placement.Cluster{
		Hosts:     []placement.Host{host("h1", "", 0, 0)},
		Instances: []placement.Instance{inst("web-000001", "web", "h1", 20000, placement.StateFailed)},
	}
	p := placement.Compute(c, placement.AppSpec{Name: "web", Replicas: 2}, placementtest.SeqIDs("web"))
	equal(t, "placed", placed(p), []string{"web-000002@h1:20000", "web-000003@h1:20001"})

	stuck := func() string { return "web-000001" }
	p = placement.Compute(c, placement.AppSpec{Name: "web", Replicas: 1}, stuck)
	if p.Unplaced != 1 || len(p.Place) != 0 {
		t.Fatalf("a generator that only repeats a used id placed %v, unplaced %d", placed(p), p.Unplaced)
	}
	equal(t, "reasons", p.Reasons, []string{"could not generate a unique instance id"})
}

func TestComputeNoOp(t *testing.T) {
	h := placementtest.New(host("h1", "a", gib, 1), host("h2", "b", gib, 1))
	h.Deploy(placement.AppSpec{Name: "web", Replicas: 3})
	h.Deploy(placement.AppSpec{Name: "api", Replicas: 2})
	for _, p := range h.Reconcile() {
		if !p.NoOp() || p.Unplaced != 0 {
			t.Errorf("recompute of a satisfied cluster: place %v remove %v unplaced %d", placed(p), removed(p), p.Unplaced)
		}
	}
}

func TestNewIDs(t *testing.T) {
	next := placement.NewIDs("web")
	seen := map[string]bool{}
	for range 100 {
		id := next()
		if len(id) != len("web-")+6 || id[:4] != "web-" {
			t.Fatalf("id %q is not web-<6 hex>", id)
		}
		for _, r := range id[4:] {
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
				t.Fatalf("id %q is not web-<6 hex>", id)
			}
		}
		seen[id] = true
	}
	if len(seen) < 90 {
		t.Errorf("only %d distinct ids out of 100", len(seen))
	}
}
