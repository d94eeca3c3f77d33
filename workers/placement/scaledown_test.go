package placement_test

import (
	"testing"

	"github.com/berth-dev/berth/workers/placement"
	"github.com/berth-dev/berth/workers/placement/placementtest"
)

func TestComputeScaleDown(t *testing.T) {
	running := placement.StateRunning
	tests := []struct {
		name      string
		hosts     []placement.Host
		instances []placement.Instance
		replicas  int
		want      []string // removed ids in order
	}{
		{
			name:  "zone with most instances first, then host with most",
			hosts: []placement.Host{host("a1", "a", 0, 0), host("a2", "a", 0, 0), host("b1", "b", 0, 0)},
			instances: []placement.Instance{
				inst("web-00000a", "web", "a1", 20000, running),
				inst("web-00000b", "web", "a1", 20001, running),
				inst("web-00000c", "web", "a2", 20000, running),
				inst("web-00000d", "web", "b1", 20000, running),
			},
			replicas: 2,
			want:     []string{"web-00000a", "web-00000b"},
		},
		{
			name:  "zones tied: the host with most instances",
			hosts: []placement.Host{host("a1", "a", 0, 0), host("a2", "a", 0, 0), host("b1", "b", 0, 0)},
			instances: []placement.Instance{
				inst("web-00000a", "web", "a1", 20000, running),
				inst("web-00000b", "web", "a2", 20000, running),
				inst("web-00000c", "web", "b1", 20000, running),
				inst("web-00000d", "web", "b1", 20001, running),
			},
			replicas: 3,
			want:     []string{"web-00000c"},
		},
		{
			name:  "not yet running before running before healthy, then id",
			hosts: []placement.Host{host("h1", "", 0, 0)},
			instances: []placement.Instance{
				inst("web-000001", "web", "h1", 20000, placement.StateHealthy),
				inst("web-000002", "web", "h1", 20001, running),
				inst("web-000003", "web", "h1", 20002, placement.StateScheduled),
				inst("web-000004", "web", "h1", 20003, running),
			},
			replicas: 1,
			want:     []string{"web-000003", "web-000002", "web-000004"},
		},
		{
			name:  "replicas zero removes every live instance and leaves others alone",
			hosts: []placement.Host{host("h1", "", 0, 0), host("h2", "", 0, 0)},
			instances: []placement.Instance{
				inst("web-000001", "web", "h1", 20000, running),
				inst("web-000002", "web", "h2", 20000, placement.StateScheduled),
				inst("web-000003", "web", "h2", 20001, placement.StateStopping),
				inst("api-000001", "api", "h1", 20001, running),
			},
			replicas: 0,
			want:     []string{"web-000001", "web-000002"},
		},
		{
			name:      "negative replicas mean zero",
			hosts:     []placement.Host{host("h1", "", 0, 0)},
			instances: []placement.Instance{inst("web-000001", "web", "h1", 20000, running)},
			replicas:  -1,
			want:      []string{"web-000001"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &placement.Cluster{Hosts: tt.hosts, Instances: tt.instances}
			p := placement.Compute(c, placement.AppSpec{Name: "web", Replicas: tt.replicas}, placementtest.SeqIDs("web"))
			var got []string
			for _, r := range p.Remove {
				got = append(got, r.InstanceID)
				if r.Reason != placement.ReasonScaleDown {
					t.Errorf("%s removed for %q", r.InstanceID, r.Reason)
				}
			}
			equal(t, "removed", got, tt.want)
			if len(p.Place) != 0 {
				t.Errorf("scale down placed %v", placed(p))
			}
		})
	}
}

func TestScaleDownKeepsSpread(t *testing.T) {
	h := placementtest.New(
		host("a1", "a", 0, 0), host("a2", "a", 0, 0), host("b1", "b", 0, 0), host("b2", "b", 0, 0), host("c1", "c", 0, 0),
	)
	h.Deploy(placement.AppSpec{Name: "web", Replicas: 10})
	for replicas := 9; replicas >= 0; replicas-- {
		h.Scale("web", replicas)
		zones := map[string]int{}
		for _, in := range h.Live("web") {
			zones[in.Host[:1]]++
		}
		lo, hi := replicas, 0
		for _, z := range []string{"a", "b", "c"} {
			lo, hi = min(lo, zones[z]), max(hi, zones[z])
		}
		if hi-lo > 1 {
			t.Fatalf("at %d replicas zones are uneven: %v", replicas, zones)
		}
	}
}
