package placement_test

import (
	"maps"
	"testing"

	"github.com/berth-dev/berth/workers/placement"
	"github.com/berth-dev/berth/workers/placement/placementtest"
)

func TestDeployScaleLoseHost(t *testing.T) {
	h := placementtest.New(host("h1", "a", 4*gib, 4), host("h2", "b", 4*gib, 4), host("h3", "c", 4*gib, 4))
	web := placement.AppSpec{Name: "web", Replicas: 6, MemoryBytes: gib}
	step := func(what string, want map[string]int) {
		t.Helper()
		if err := placementtest.Check(&h.Cluster); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := h.PerHost("web"); !maps.Equal(got, want) {
			t.Fatalf("%s: web per host = %v, want %v", what, got, want)
		}
	}

	h.Deploy(web)
	step("deploy", map[string]int{"h1": 2, "h2": 2, "h3": 2})

	h.SetLost("h2", true)
	p := h.Reconcile()[0]
	if len(p.Remove) != 2 || p.Remove[0].Reason != placement.ReasonHostLost || len(p.Place) != 2 {
		t.Fatalf("after losing h2: remove %v place %v", removed(p), placed(p))
	}
	step("h2 lost", map[string]int{"h1": 3, "h3": 3})

	if p = h.Scale("web", 8); p.Unplaced != 0 {
		t.Fatalf("scale to 8: unplaced %d (%q)", p.Unplaced, p.Reasons)
	}
	step("scale to 8", map[string]int{"h1": 4, "h3": 4})
	p = h.Scale("web", 9)
	if p.Unplaced != 1 || len(p.Reasons) != 2 || p.Reasons[0] != "host h2 is lost" || p.Reasons[1] != "insufficient memory on 2 hosts (need 1GiB)" {
		t.Fatalf("scale past capacity: unplaced %d reasons %q", p.Unplaced, p.Reasons)
	}

	h.SetLost("h2", false)
	h.Reconcile()
	step("h2 back", map[string]int{"h1": 4, "h2": 1, "h3": 4})

	h.Scale("web", 3)
	step("scale to 3", map[string]int{"h1": 1, "h2": 1, "h3": 1})

	failed := h.Live("web")[0]
	h.SetState(failed.ID, placement.StateFailed)
	p = h.Reconcile()[0]
	if len(p.Remove) != 1 || p.Remove[0].InstanceID != failed.ID || len(p.Place) != 1 || p.Place[0].Host != failed.Host {
		t.Fatalf("replacing failed %s on %s: remove %v place %v", failed.ID, failed.Host, removed(p), placed(p))
	}
	step("failed replaced", map[string]int{"h1": 1, "h2": 1, "h3": 1})

	h.Scale("web", 0)
	step("stopped", map[string]int{})
	if n := len(h.Plans); n != 8 {
		t.Errorf("harness recorded %d plans, want 8", n)
	}
}
