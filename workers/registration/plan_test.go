package registration

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

func TestCompute(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	v := clusterview.New()
	v.Hosts["h1"] = &clusterview.Host{HostRegistered: events.HostRegistered{Host: "h1"}}
	v.Hosts["h2"] = &clusterview.Host{HostRegistered: events.HostRegistered{Host: "h2"}, Lost: true}
	web := appstate.NewApp("web")
	web.Exists, web.Domains = true, []string{"www.example.com"}
	inst := func(id, host, state string, registered bool) {
		web.Instances[id] = appstate.Instance{ID: id, Host: host, HostAddr: "127.0.0.2", HostPort: 20000 + len(web.Instances),
			State: state, Registered: registered}
	}
	inst("web-00000a", "h1", appstate.StateHealthy, true)      // endpoint
	inst("web-00000b", "h1", appstate.StateRunning, false)     // not yet
	inst("web-00000c", "h1", appstate.StateUnhealthy, true)    // deregister
	inst("web-00000d", "h1", appstate.StateExited, true)       // deregister
	inst("web-00000e", "h2", appstate.StateHealthy, true)      // host lost
	inst("web-00000f", "h1", appstate.StateUnscheduled, false) // already deregistered
	v.Apps["web"] = web
	stopped := appstate.NewApp("old")
	stopped.Exists, stopped.Stopped = true, true
	v.Apps["old"] = stopped
	v.Apps["ghost"] = appstate.NewApp("ghost") // only events for instances, never deployed

	p := Compute(v, map[string]time.Time{"web.web-00000a": t0}, now)

	wantEndpoints := map[string]Endpoint{
		"web.web-00000a": {App: "web", Instance: "web-00000a", Host: "h1", Addr: "127.0.0.2:20000", RegisteredAt: t0},
	}
	if !reflect.DeepEqual(p.Endpoints, wantEndpoints) {
		t.Errorf("endpoints %+v, want %+v", p.Endpoints, wantEndpoints)
	}
	wantRoutes := map[string]Route{
		"web": {App: "web", Domains: []string{"www.example.com"}, Deny: []string{}},
		"old": {App: "old", Domains: []string{}, Deny: []string{}},
	}
	if !reflect.DeepEqual(p.Routes, wantRoutes) {
		t.Errorf("routes %+v, want %+v", p.Routes, wantRoutes)
	}
	wantDereg := []Deregistration{
		{App: "web", Instance: "web-00000c", Reason: "health check failed"},
		{App: "web", Instance: "web-00000d", Reason: "instance exited"},
		{App: "web", Instance: "web-00000e", Reason: "host h2 lost", HostLost: true},
	}
	if !reflect.DeepEqual(p.Deregister, wantDereg) {
		t.Errorf("deregister %+v, want %+v", p.Deregister, wantDereg)
	}
}

func TestDiff(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := Endpoint{App: "web", Instance: "web-00000a", Host: "h1", Addr: "127.0.0.2:20000", RegisteredAt: t0}
	b := Endpoint{App: "web", Instance: "web-00000b", Host: "h1", Addr: "127.0.0.2:20001", RegisteredAt: t0}
	moved := b
	moved.Addr = "127.0.0.2:20009"
	later := a
	later.RegisteredAt = t0.Add(time.Minute)
	route := Route{App: "web", Domains: []string{}, Deny: []string{}}
	cases := []struct {
		name      string
		plan      Plan
		endpoints map[string]Endpoint
		routes    map[string]Route
		want      Ops
	}{
		{"empty bucket gets everything",
			Plan{Endpoints: map[string]Endpoint{a.Key(): a, b.Key(): b}, Routes: map[string]Route{"web": route}},
			nil, nil,
			Ops{PutEndpoints: []Endpoint{a, b}, PutRoutes: []Route{route}}},
		{"in step writes nothing, whatever registered_at says",
			Plan{Endpoints: map[string]Endpoint{a.Key(): later}, Routes: map[string]Route{"web": route}},
			map[string]Endpoint{a.Key(): a}, map[string]Route{"web": {App: "web"}},
			Ops{}},
		{"stale keys go, changed values are rewritten",
			Plan{Endpoints: map[string]Endpoint{b.Key(): b}, Routes: map[string]Route{}},
			map[string]Endpoint{a.Key(): a, b.Key(): moved}, map[string]Route{"gone": {App: "gone"}},
			Ops{DeleteEndpoints: []string{a.Key()}, PutEndpoints: []Endpoint{b}, DeleteRoutes: []string{"gone"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Diff(c.plan, c.endpoints, c.routes)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestDeregisterDecider(t *testing.T) {
	app := appstate.NewApp("web")
	app.Instances["web-00000a"] = appstate.Instance{ID: "web-00000a", State: appstate.StateHealthy, Registered: true}
	app.Instances["web-00000b"] = appstate.Instance{ID: "web-00000b", State: appstate.StateExited, Registered: true}
	app.Instances["web-00000c"] = appstate.Instance{ID: "web-00000c", State: appstate.StateExited}
	cases := []struct {
		d    Deregistration
		want int
	}{
		{Deregistration{App: "web", Instance: "web-00000a", Reason: "x"}, 0}, // healthy again: keep
		{Deregistration{App: "web", Instance: "web-00000a", Reason: "host h1 lost", HostLost: true}, 1},
		{Deregistration{App: "web", Instance: "web-00000b", Reason: "instance exited"}, 1},
		{Deregistration{App: "web", Instance: "web-00000c", Reason: "instance exited"}, 0}, // already done
		{Deregistration{App: "web", Instance: "web-0000ff", Reason: "instance exited"}, 0}, // gone
	}
	for _, c := range cases {
		evs, err := deregister(c.d)(app.Clone())
		if err != nil || len(evs) != c.want {
			t.Errorf("%+v: got %v, %v; want %d events", c.d, evs, err, c.want)
		}
	}
}
