package health

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

func TestTargets(t *testing.T) {
	v := clusterview.New()
	app := appstate.NewApp("web")
	app.Exists = true
	app.Spec = events.Spec{HealthPath: "/healthz", HealthIntervalMS: 500, HealthTimeoutMS: 200, HealthThreshold: 2}
	for id, st := range map[string]string{
		"web-000001": appstate.StateScheduled, "web-000002": appstate.StateRunning,
		"web-000003": appstate.StateHealthy, "web-000004": appstate.StateUnhealthy,
		"web-000005": appstate.StateExited, "web-000006": appstate.StateUnscheduled,
	} {
		app.Instances[id] = appstate.Instance{ID: id, Host: "h1", HostAddr: "127.0.0.2", HostPort: 20000, State: st}
	}
	app.Instances["web-000007"] = appstate.Instance{ID: "web-000007", Host: "h2", HostAddr: "127.0.0.3", HostPort: 20001, State: appstate.StateHealthy}
	v.Apps["web"] = app
	v.Hosts["h1"] = &clusterview.Host{HostRegistered: events.HostRegistered{Host: "h1"}}
	v.Hosts["h2"] = &clusterview.Host{HostRegistered: events.HostRegistered{Host: "h2"}, Lost: true}

	got := Targets(v)
	if len(got) != 2 {
		t.Fatalf("targets %v, want web-000002 and web-000003 only", got)
	}
	want := Target{App: "web", Instance: "web-000002", Addr: "127.0.0.2:20000", Path: "/healthz",
		Interval: 500 * time.Millisecond, Timeout: 200 * time.Millisecond, Threshold: 2}
	if got["web.web-000002"] != want {
		t.Fatalf("target %+v, want %+v", got["web.web-000002"], want)
	}
	if u := want.URL(); u != "http://127.0.0.2:20000/healthz" {
		t.Fatalf("url %s", u)
	}
}
