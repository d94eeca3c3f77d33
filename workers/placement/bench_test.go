package placement_test

import (
	"fmt"
	"testing"

	"github.com/berth-dev/berth/workers/placement"
)

func benchHosts(n int) []placement.Host {
	hosts := make([]placement.Host, n)
	for i := range hosts {
		hosts[i] = placement.Host{
			ID: fmt.Sprintf("h%04d", i), Addr: "127.0.0.1", Zone: fmt.Sprintf("z%d", i%10),
			Labels: map[string]string{"disk": "ssd"}, CPUs: 64, MemoryBytes: 64 * gib, PortMin: 20000, PortMax: 20999,
		}
	}
	return hosts
}

func benchApp(name string, replicas int) placement.AppSpec {
	return placement.AppSpec{
		Name: name, Replicas: replicas, MemoryBytes: 256 * mib, CPUs: 0.25,
		Constraints: map[string]string{"disk": "ssd"},
	}
}

// apply adds a plan's placements to the cluster as scheduled instances.
func apply(c *placement.Cluster, app placement.AppSpec, p placement.Plan) {
	for _, pl := range p.Place {
		c.Instances = append(c.Instances, placement.Instance{
			ID: pl.InstanceID, App: app.Name, Host: pl.Host, Port: pl.Port,
			MemoryBytes: app.MemoryBytes, CPUs: app.CPUs, State: placement.StateScheduled,
		})
	}
}

// fullCluster is 100 apps × 1,000 replicas on 1,000 hosts.
func fullCluster(tb testing.TB) (*placement.Cluster, []placement.AppSpec) {
	c := &placement.Cluster{Hosts: benchHosts(1000), Instances: make([]placement.Instance, 0, 100_000)}
	apps := make([]placement.AppSpec, 100)
	for i := range apps {
		apps[i] = benchApp(fmt.Sprintf("app%02d", i), 1000)
		p := placement.Compute(c, apps[i], placement.NewIDs(apps[i].Name))
		if p.Unplaced > 0 {
			tb.Fatalf("%s: %d unplaced: %q", apps[i].Name, p.Unplaced, p.Reasons)
		}
		apply(c, apps[i], p)
	}
	return c, apps
}

func BenchmarkPlace100kOn1000Hosts(b *testing.B) {
	hosts := benchHosts(1000)
	b.Run("one-app", func(b *testing.B) {
		app := benchApp("web", 100_000)
		for b.Loop() {
			p := placement.Compute(&placement.Cluster{Hosts: hosts}, app, placement.NewIDs(app.Name))
			if len(p.Place) != 100_000 {
				b.Fatalf("placed %d, unplaced %d: %q", len(p.Place), p.Unplaced, p.Reasons)
			}
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "placements/s")
	})
	b.Run("100-apps", func(b *testing.B) {
		apps := make([]placement.AppSpec, 100)
		for i := range apps {
			apps[i] = benchApp(fmt.Sprintf("app%02d", i), 1000)
		}
		for b.Loop() {
			c := &placement.Cluster{Hosts: hosts, Instances: make([]placement.Instance, 0, 100_000)}
			for _, app := range apps {
				p := placement.Compute(c, app, placement.NewIDs(app.Name))
				if len(p.Place) != 1000 {
					b.Fatalf("%s placed %d: %q", app.Name, len(p.Place), p.Reasons)
				}
				apply(c, app, p)
			}
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "placements/s")
	})
}

// BenchmarkRecomputeFullCluster measures what the scheduler does most:
// recomputing apps of a cluster that already has what it wants.
func BenchmarkRecomputeFullCluster(b *testing.B) {
	c, apps := fullCluster(b)
	b.Run("no-op-one-app", func(b *testing.B) {
		for b.Loop() {
			if p := placement.Compute(c, apps[50], placement.NewIDs(apps[50].Name)); !p.NoOp() {
				b.Fatalf("not a no-op: %d place %d remove", len(p.Place), len(p.Remove))
			}
		}
	})
	b.Run("no-op-all-100-apps", func(b *testing.B) {
		for b.Loop() {
			for _, app := range apps {
				if p := placement.Compute(c, app, placement.NewIDs(app.Name)); !p.NoOp() {
					b.Fatalf("%s not a no-op", app.Name)
				}
			}
		}
	})
	b.Run("replace-one-failed", func(b *testing.B) {
		failed := len(c.Instances) / 2
		c.Instances[failed].State = placement.StateFailed
		app := apps[50]
		for i, a := range apps {
			if a.Name == c.Instances[failed].App {
				app = apps[i]
			}
		}
		for b.Loop() {
			if p := placement.Compute(c, app, placement.NewIDs(app.Name)); len(p.Place) != 1 || len(p.Remove) != 1 {
				b.Fatalf("place %d remove %d", len(p.Place), len(p.Remove))
			}
		}
	})
}
