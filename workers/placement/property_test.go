package placement_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/berth-dev/berth/workers/placement"
	"github.com/berth-dev/berth/workers/placement/placementtest"
)

var allStates = []string{
	placement.StateScheduled, placement.StateRunning, placement.StateHealthy, placement.StateStopping,
	placement.StateStopped, placement.StateExited, placement.StateFailed, "unhealthy",
}

func randomHosts(r *rand.Rand, n int) []placement.Host {
	hosts := make([]placement.Host, n)
	for i := range hosts {
		h := placement.Host{
			ID:          fmt.Sprintf("h%02d", i),
			Addr:        fmt.Sprintf("127.0.0.%d", i+1),
			Zone:        []string{"a", "b", "c", ""}[r.IntN(4)],
			MemoryBytes: int64(r.IntN(5)) * gib,
			CPUs:        float64(r.IntN(9)) * 0.25,
			PortMin:     20000,
			PortMax:     20000 + r.IntN(7) - 1,
			Lost:        r.IntN(10) == 0,
		}
		if d := r.IntN(3); d > 0 {
			h.Labels = map[string]string{"disk": []string{"", "ssd", "hdd"}[d]}
		}
		hosts[i] = h
	}
	r.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	return hosts
}

func randomApp(r *rand.Rand, name string) placement.AppSpec {
	a := placement.AppSpec{
		Name:        name,
		Replicas:    r.IntN(14),
		MemoryBytes: int64(r.IntN(3)) * 256 * mib,
		CPUs:        float64(r.IntN(3)) * 0.25,
		MaxPerHost:  r.IntN(3),
	}
	if r.IntN(3) == 0 {
		a.Constraints = map[string]string{"disk": "ssd"}
	}
	return a
}

// TestComputeMatchesReference compares Compute with the naive reference on
// random clusters, including invalid ones (shared ports, unknown hosts).
func TestComputeMatchesReference(t *testing.T) {
	for seed := range uint64(3000) {
		r := rand.New(rand.NewPCG(seed, 1))
		c := &placement.Cluster{Hosts: randomHosts(r, r.IntN(10))}
		for i := range r.IntN(30) {
			app := []string{"web", "db", "api"}[r.IntN(3)]
			hostID := "ghost"
			if len(c.Hosts) > 0 && r.IntN(15) > 0 {
				hostID = c.Hosts[r.IntN(len(c.Hosts))].ID
			}
			c.Instances = append(c.Instances, placement.Instance{
				ID: fmt.Sprintf("%s-%06x", app, 0xa00000+i), App: app, Host: hostID, Port: 20000 + r.IntN(7),
				MemoryBytes: int64(r.IntN(3)) * 256 * mib, CPUs: float64(r.IntN(3)) * 0.25,
				State: allStates[r.IntN(len(allStates))],
			})
		}
		if len(c.Hosts) > 0 && r.IntN(2) == 0 {
			c.ReservedPorts = map[string]map[int]bool{c.Hosts[0].ID: {20000 + r.IntN(4): true}}
		}
		app := randomApp(r, "web")

		got := placement.Compute(c, app, placementtest.SeqIDs("web"))
		want := reference(c, app, placementtest.SeqIDs("web"))
		if !slices.Equal(got.Place, want.Place) || !slices.Equal(got.Remove, want.Remove) || got.Unplaced != want.Unplaced {
			t.Fatalf("seed %d: app %+v\nhosts %+v\ninstances %+v\ngot  place %v remove %v unplaced %d\nwant place %v remove %v unplaced %d",
				seed, app, c.Hosts, c.Instances, placed(got), removed(got), got.Unplaced, placed(want), removed(want), want.Unplaced)
		}
		if (got.Unplaced > 0) != (len(got.Reasons) > 0) {
			t.Fatalf("seed %d: unplaced %d with reasons %q", seed, got.Unplaced, got.Reasons)
		}
	}
}

// TestSimulatedClusterKeepsInvariants drives a harness through random
// deploys, scales, lost and recovered hosts and instance state changes, and
// checks after every plan that no host:port is shared, no host is
// over-committed, the app got its replicas unless nothing fits, and when
// something is unplaced no host could in fact take it.
func TestSimulatedClusterKeepsInvariants(t *testing.T) {
	apps := []string{"api", "db", "web"}
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 2))
		h := placementtest.New(randomHosts(r, 2+r.IntN(12))...)
		for i := range h.Cluster.Hosts {
			h.Cluster.Hosts[i].Lost = false
		}
		if r.IntN(2) == 0 {
			h.Cluster.ReservedPorts = map[string]map[int]bool{h.Cluster.Hosts[0].ID: {20001: true}}
		}
		for _, name := range apps {
			h.Apps[name] = randomApp(r, name)
		}
		for step := range 40 {
			switch op := r.IntN(6); op {
			case 0:
				spec := randomApp(r, apps[r.IntN(len(apps))])
				h.Apps[spec.Name] = spec
			case 1:
				hs := h.Cluster.Hosts[r.IntN(len(h.Cluster.Hosts))]
				h.SetLost(hs.ID, !hs.Lost)
			default:
				if len(h.Cluster.Instances) > 0 {
					// Containers that let go of their resources never take
					// them back; everything else may happen.
					in := h.Cluster.Instances[r.IntN(len(h.Cluster.Instances))]
					next := placement.Instance{State: allStates[r.IntN(len(allStates))]}
					if in.HoldsResources() || !next.HoldsResources() {
						h.SetState(in.ID, next.State)
					}
				}
			}
			for _, name := range apps {
				spec := h.Apps[name]
				p := h.Deploy(spec)
				where := fmt.Sprintf("seed %d step %d app %s", seed, step, name)
				if err := placementtest.Check(&h.Cluster); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if live := len(h.Live(name)); live+p.Unplaced != max(spec.Replicas, live) {
					t.Fatalf("%s: %d live + %d unplaced, want %d replicas", where, live, p.Unplaced, spec.Replicas)
				}
				if p.Unplaced > 0 {
					if len(p.Reasons) == 0 {
						t.Fatalf("%s: %d unplaced without reasons", where, p.Unplaced)
					}
					if again := reference(&h.Cluster, spec, h.NewID(name)); len(again.Place) > 0 {
						t.Fatalf("%s: unplaced %d (%q) but %v fits", where, p.Unplaced, p.Reasons, placed(again))
					}
				}
			}
		}
	}
}
