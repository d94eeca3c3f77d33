package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/placement"
)

func testApp(version, replicas int, insts ...appstate.Instance) *appstate.App {
	a := appstate.NewApp("web")
	a.Exists, a.Version, a.Target = true, version, version
	a.Spec = events.Spec{Image: fmt.Sprintf("web:v%d", version), Replicas: replicas, Port: 8080,
		Env: map[string]string{"MODE": "prod"}, MemoryBytes: 256 << 20, CPUs: 0.5}
	a.Releases[version] = &appstate.Release{Version: version, Spec: a.Spec}
	for _, in := range insts {
		a.Instances[in.ID] = in
	}
	return a
}

func inst(id string, version int, host string, port int, state string) appstate.Instance {
	return appstate.Instance{ID: id, Version: version, Host: host, HostAddr: "127.0.0.1", HostPort: port, State: state}
}

func testHosts() []placement.Host {
	return []placement.Host{
		{ID: "h1", Addr: "127.0.0.11", Zone: "a", CPUs: 4, MemoryBytes: 4 << 30, PortMin: 20000, PortMax: 20099},
		{ID: "h2", Addr: "127.0.0.12", Zone: "a", CPUs: 4, MemoryBytes: 4 << 30, PortMin: 20000, PortMax: 20099},
		{ID: "h3", Addr: "127.0.0.13", Zone: "b", CPUs: 4, MemoryBytes: 4 << 30, PortMin: 20000, PortMax: 20099},
	}
}

// summary renders a decision's events compactly: "sched web-000001 h1:20000",
// "unsched web-x h2 (scale down)", "failed 2 [reasons]".
func summary(d Decision) []string {
	var out []string
	for _, e := range d.Events {
		switch e := e.(type) {
		case events.InstanceScheduled:
			out = append(out, fmt.Sprintf("sched %s %s:%d", e.Instance, e.Host, e.HostPort))
		case events.InstanceUnscheduled:
			out = append(out, fmt.Sprintf("unsched %s %s (%s)", e.Instance, e.Host, e.Reason))
		case events.PlacementFailed:
			out = append(out, fmt.Sprintf("failed %d [%s]", e.Unplaced, strings.Join(e.Reasons, "; ")))
		default:
			out = append(out, fmt.Sprintf("%T", e))
		}
	}
	return out
}

func decideWith(app *appstate.App, mod func(*Input)) Decision {
	in := Input{App: app, Hosts: testHosts(), NewID: countingIDs(app.Name), MaxEvents: 500}
	if mod != nil {
		mod(&in)
	}
	return Decide(in)
}

func TestDecide(t *testing.T) {
	const (
		sched   = appstate.StateScheduled
		running = appstate.StateRunning
		healthy = appstate.StateHealthy
	)
	lostH3 := func(in *Input) { in.Hosts[2].Lost = true }
	tests := []struct {
		name string
		app  *appstate.App
		mod  func(*Input)
		want []string
		more bool
	}{
		{name: "not deployed", app: appstate.NewApp("web")},
		{name: "deploy spreads over zones then hosts", app: testApp(1, 4),
			want: []string{"sched web-000001 h1:20000", "sched web-000002 h3:20000", "sched web-000003 h2:20000", "sched web-000004 h3:20001"}},
		{name: "settled app does nothing",
			app: testApp(1, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, running))},
		{name: "stopped app unschedules everything not yet unscheduled",
			app: func() *appstate.App {
				a := testApp(1, 0, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h2", 20000, appstate.StateUnscheduled),
					inst("web-c", 1, "h3", 20000, appstate.StateExited))
				a.Stopped = true
				return a
			}(),
			want: []string{"unsched web-a h1 (app stopped)", "unsched web-c h3 (app stopped)"}},
		{name: "dead instances are unscheduled and replaced",
			app: testApp(1, 3, inst("web-a", 1, "h1", 20000, appstate.StateExited), inst("web-b", 1, "h2", 20000, appstate.StateUnhealthy),
				inst("web-c", 1, "h3", 20000, healthy)),
			want: []string{"unsched web-a h1 (instance exited)", "unsched web-b h2 (instance failed)",
				"sched web-000001 h1:20000", "sched web-000002 h2:20000"}},
		{name: "unscheduled instance holds its port until stopped",
			app:  testApp(1, 1, inst("web-a", 1, "h3", 20000, appstate.StateUnscheduled)),
			mod:  func(in *Input) { in.Hosts = in.Hosts[2:] },
			want: []string{"sched web-000001 h3:20001"}},
		{name: "instances on a lost host move", app: testApp(1, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, healthy)),
			mod:  lostH3,
			want: []string{"unsched web-b h3 (host lost)", "sched web-000001 h2:20000"}},
		{name: "instance on an unknown host moves", app: testApp(1, 1, inst("web-a", 1, "h9", 20000, running)),
			want: []string{"unsched web-a h9 (host unknown)", "sched web-000001 h1:20000"}},
		{name: "scale down evens out zones",
			app:  testApp(1, 1, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h2", 20000, healthy), inst("web-c", 1, "h3", 20000, healthy)),
			want: []string{"unsched web-a h1 (scale down)", "unsched web-b h2 (scale down)"}},
		{name: "rollout places the new version next to the old",
			app:  testApp(2, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, healthy)),
			want: []string{"sched web-000001 h2:20000", "sched web-000002 h3:20001"}},
		{name: "old instances go only while replicas stay healthy",
			app: testApp(2, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, healthy),
				inst("web-c", 2, "h2", 20000, healthy), inst("web-d", 2, "h3", 20001, running)),
			want: []string{"unsched web-a h1 (replaced by release 2)"}},
		{name: "old instances stay while the new are not healthy",
			app: testApp(2, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, healthy),
				inst("web-c", 2, "h2", 20000, running), inst("web-d", 2, "h3", 20001, running))},
		{name: "rollout removes the old version once the new is healthy",
			app: testApp(2, 2, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h3", 20000, healthy),
				inst("web-c", 2, "h2", 20000, healthy), inst("web-d", 2, "h3", 20001, healthy)),
			want: []string{"unsched web-a h1 (replaced by release 2)", "unsched web-b h3 (replaced by release 2)"}},
		{name: "dead old-version instances are unscheduled, not replaced",
			app: testApp(2, 1, inst("web-a", 1, "h1", 20000, appstate.StateExited), inst("web-b", 1, "h3", 20000, healthy),
				inst("web-c", 2, "h2", 20000, running)),
			want: []string{"unsched web-a h1 (instance exited)"}},
		{name: "old version on a lost host is unscheduled", app: testApp(2, 1, inst("web-b", 1, "h3", 20000, healthy), inst("web-c", 2, "h2", 20000, running)),
			mod:  lostH3,
			want: []string{"unsched web-b h3 (host lost)"}},
		{name: "constraint nobody meets", app: func() *appstate.App {
			a := testApp(1, 2)
			a.Spec.Constraints = map[string]string{"gpu": "yes"}
			return a
		}(), want: []string{"failed 2 [no host matches constraint gpu=yes]"}},
		{name: "same failure is not repeated", app: func() *appstate.App {
			a := testApp(1, 2)
			a.Spec.Constraints = map[string]string{"gpu": "yes"}
			a.LastPlacementFailure = []string{"no host matches constraint gpu=yes"}
			return a
		}()},
		{name: "partial placement records the failure again", app: func() *appstate.App {
			a := testApp(1, 3)
			a.Spec.MaxPerHost = 1
			a.LastPlacementFailure = []string{"max-per-host 1 reached on 3 hosts"}
			return a
		}(), mod: func(in *Input) { in.Hosts = in.Hosts[:2] },
			want: []string{"sched web-000001 h1:20000", "sched web-000002 h2:20000", "failed 1 [max-per-host 1 reached on 2 hosts]"}},
		{name: "reserved ports are skipped", app: testApp(1, 1),
			mod: func(in *Input) {
				in.Hosts = in.Hosts[2:]
				in.Reserved = map[string]map[int]bool{"h3": {20000: true, 20001: false}}
			},
			want: []string{"sched web-000001 h3:20001"}},
		{name: "other apps' ports and capacity count", app: testApp(1, 2),
			mod: func(in *Input) {
				in.Hosts = in.Hosts[2:]
				in.Hosts[0].MemoryBytes = 768 << 20
				in.Others = func() []placement.Instance {
					return []placement.Instance{{ID: "api-1", App: "api", Host: "h3", Port: 20000, MemoryBytes: 256 << 20, State: placement.StateRunning}}
				}
			},
			want: []string{"sched web-000001 h3:20001", "sched web-000002 h3:20002"}},
		{name: "old releases hold what their spec asked", app: func() *appstate.App {
			a := testApp(2, 2, inst("web-a", 1, "h3", 20000, healthy))
			a.Releases[1] = &appstate.Release{Version: 1, Spec: events.Spec{MemoryBytes: 768 << 20}}
			return a
		}(),
			mod: func(in *Input) {
				in.Hosts = in.Hosts[2:]
				in.Hosts[0].MemoryBytes = 1 << 30
			},
			want: []string{"sched web-000001 h3:20001", "failed 1 [insufficient memory on h3 (need 256MiB)]"}},
		{name: "a big deploy is cut into several decisions", app: testApp(1, 10),
			mod:  func(in *Input) { in.MaxEvents = 4 },
			want: []string{"sched web-000001 h1:20000", "sched web-000002 h3:20000", "sched web-000003 h2:20000", "sched web-000004 h3:20001"}, more: true},
		{name: "a cut decision still has room to record a failure", app: func() *appstate.App {
			a := testApp(1, 10)
			a.Spec.MaxPerHost = 1
			return a
		}(), mod: func(in *Input) { in.MaxEvents = 4 },
			want: []string{"sched web-000001 h1:20000", "sched web-000002 h3:20000", "sched web-000003 h2:20000", "failed 7 [max-per-host 1 reached on 3 hosts]"}},
		{name: "a big stop is cut too", app: func() *appstate.App {
			a := testApp(1, 0, inst("web-a", 1, "h1", 20000, healthy), inst("web-b", 1, "h2", 20000, healthy), inst("web-c", 1, "h3", 20000, healthy))
			a.Stopped = true
			return a
		}(), mod: func(in *Input) { in.MaxEvents = 2 },
			want: []string{"unsched web-a h1 (app stopped)", "unsched web-b h2 (app stopped)"}, more: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideWith(tt.app, tt.mod)
			if got := summary(d); !slices.Equal(got, tt.want) {
				t.Errorf("events:\n got %q\nwant %q", got, tt.want)
			}
			if d.More != tt.more {
				t.Errorf("more = %v, want %v", d.More, tt.more)
			}
			scheduled := 0
			for _, e := range d.Events {
				if _, ok := e.(events.InstanceScheduled); ok {
					scheduled++
				}
			}
			if len(d.Place) != scheduled {
				t.Errorf("Place has %d entries for %d InstanceScheduled", len(d.Place), scheduled)
			}
		})
	}
}

func TestDecideScheduledCarriesWhatTheAgentNeeds(t *testing.T) {
	d := decideWith(testApp(3, 1), nil)
	if len(d.Events) != 1 {
		t.Fatalf("events = %q", summary(d))
	}
	got := d.Events[0].(events.InstanceScheduled)
	want := events.InstanceScheduled{App: "web", Instance: "web-000001", Version: 3, Host: "h1", HostAddr: "127.0.0.11",
		HostPort: 20000, ContainerPort: 8080, Image: "web:v3", Env: map[string]string{"MODE": "prod"}, MemoryBytes: 256 << 20, CPUs: 0.5}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("scheduled = %+v\nwant        %+v", got, want)
	}
}

func TestDecideSkipsIDsTheAppHas(t *testing.T) {
	app := testApp(2, 1, inst("web-000001", 1, "h1", 20000, appstate.StateHealthy))
	d := decideWith(app, nil)
	if got := summary(d); !slices.Equal(got, []string{"sched web-000002 h2:20000"}) {
		t.Fatalf("events = %q", got)
	}
}
