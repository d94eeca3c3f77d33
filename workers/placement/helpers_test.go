package placement_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berth-dev/berth/workers/placement"
)

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// host returns a host with ten ports from 20000 and labels given as k, v pairs.
func host(id, zone string, mem int64, cpus float64, labels ...string) placement.Host {
	h := placement.Host{ID: id, Addr: "127.0.0.1", Zone: zone, MemoryBytes: mem, CPUs: cpus, PortMin: 20000, PortMax: 20009}
	if len(labels) > 0 {
		h.Labels = map[string]string{}
		for i := 0; i+1 < len(labels); i += 2 {
			h.Labels[labels[i]] = labels[i+1]
		}
	}
	return h
}

func inst(id, app, host string, port int, state string) placement.Instance {
	return placement.Instance{ID: id, App: app, Host: host, Port: port, State: state}
}

// placed renders placements as id@host:port.
func placed(p placement.Plan) []string {
	out := []string{}
	for _, pl := range p.Place {
		out = append(out, fmt.Sprintf("%s@%s:%d", pl.InstanceID, pl.Host, pl.Port))
	}
	return out
}

// hostsOf renders placements as host names only.
func hostsOf(p placement.Plan) []string {
	out := []string{}
	for _, pl := range p.Place {
		out = append(out, pl.Host)
	}
	return out
}

// removed renders removals as id@host (reason).
func removed(p placement.Plan) []string {
	out := []string{}
	for _, r := range p.Remove {
		out = append(out, fmt.Sprintf("%s@%s (%s)", r.InstanceID, r.Host, r.Reason))
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}
