package intake

import (
	"errors"
	"testing"

	"github.com/berth-dev/berth/events"
)

func TestNeedsRegistration(t *testing.T) {
	want := events.HostRegistered{Host: "h1", Addr: "127.0.0.2", Zone: "z", Labels: map[string]string{"disk": "ssd"},
		CPUs: 2, MemoryBytes: 1 << 30, PortMin: 20000, PortMax: 29999}
	changed := func(f func(*events.HostRegistered)) events.HostRegistered {
		r := want
		r.Labels = map[string]string{"disk": "ssd"}
		f(&r)
		return r
	}
	rec := func(e events.Event) events.Recorded { return events.Recorded{Event: e} }
	lost := events.HostLost{Host: "h1"}

	for _, tc := range []struct {
		name    string
		history []events.Event
		want    bool
	}{
		{"never registered", nil, true},
		{"registered the same", []events.Event{want}, false},
		{"labels differ", []events.Event{changed(func(r *events.HostRegistered) { r.Labels["disk"] = "hdd" })}, true},
		{"label added", []events.Event{changed(func(r *events.HostRegistered) { r.Labels["gpu"] = "1" })}, true},
		{"address differs", []events.Event{changed(func(r *events.HostRegistered) { r.Addr = "127.0.0.9" })}, true},
		{"capacity differs", []events.Event{changed(func(r *events.HostRegistered) { r.MemoryBytes = 1 })}, true},
		{"ports differ", []events.Event{changed(func(r *events.HostRegistered) { r.PortMax = 20001 })}, true},
		{"zone differs", []events.Event{changed(func(r *events.HostRegistered) { r.Zone = "" })}, true},
		{"lost since", []events.Event{want, lost}, true},
		{"came back already", []events.Event{want, lost, want}, false},
		{"lost before ever registering", []events.Event{lost}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []events.Recorded
			for _, e := range tc.history {
				recs = append(recs, rec(e))
			}
			if got := NeedsRegistration(recs, want); got != tc.want {
				t.Errorf("NeedsRegistration = %v, want %v", got, tc.want)
			}
		})
	}

	noLabels := want
	noLabels.Labels = nil
	empty := want
	empty.Labels = map[string]string{}
	if NeedsRegistration([]events.Recorded{rec(empty)}, noLabels) {
		t.Error("nil and empty labels count as a change")
	}
}

func TestCheck(t *testing.T) {
	started := events.InstanceStarted{App: "web", Instance: "web-1", Host: "h1", ContainerID: "c"}
	subj := func(e events.Event) string { return e.Aggregate().Subject(e.Kind()) }
	for _, tc := range []struct {
		name     string
		claim    Claim
		assigned string
		ok       bool
	}{
		{"own instance started", Claim{"h1", subj(started), started}, "h1", true},
		{"own instance exited", Claim{"h1", subj(events.InstanceExited{App: "web", Instance: "web-1", Host: "h1"}),
			events.InstanceExited{App: "web", Instance: "web-1", Host: "h1"}}, "h1", true},
		{"own registration", Claim{"h1", subj(events.HostRegistered{Host: "h1"}), events.HostRegistered{Host: "h1"}}, "", true},
		{"instance of another host", Claim{"h1", subj(started), started}, "h2", false},
		{"unknown instance", Claim{"h1", subj(started), started}, "", false},
		{"payload names another host", Claim{"h2", subj(started), started}, "h2", false},
		{"registers another host", Claim{"h1", subj(events.HostRegistered{Host: "h2"}), events.HostRegistered{Host: "h2"}}, "", false},
		{"app command", Claim{"h1", subj(events.AppStopped{App: "web"}), events.AppStopped{App: "web"}}, "", false},
		{"health failure", Claim{"h1", subj(events.InstanceHealthFailed{App: "web", Instance: "web-1"}),
			events.InstanceHealthFailed{App: "web", Instance: "web-1"}}, "h1", false},
		{"host lost", Claim{"h1", subj(events.HostLost{Host: "h1"}), events.HostLost{Host: "h1"}}, "", false},
		{"subject of another app", Claim{"h1", events.App("db").Subject("instance_started"), started}, "h1", false},
		{"undecodable", Claim{"h1", "berth.events.app.web.instance_started", nil}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.claim, tc.assigned)
			if tc.ok && err != nil {
				t.Fatalf("Check = %v, want accepted", err)
			}
			if !tc.ok && !errors.Is(err, ErrRejected) {
				t.Fatalf("Check = %v, want ErrRejected", err)
			}
		})
	}
}

func TestAssignedHostIsTheLastScheduling(t *testing.T) {
	hist := []events.Recorded{
		{Event: events.InstanceScheduled{App: "web", Instance: "web-1", Host: "h1"}},
		{Event: events.InstanceScheduled{App: "web", Instance: "web-2", Host: "h2"}},
	}
	if got := AssignedHost(hist, "web-2"); got != "h2" {
		t.Fatalf("AssignedHost(web-2) = %q", got)
	}
	if got := AssignedHost(hist, "web-9"); got != "" {
		t.Fatalf("AssignedHost(web-9) = %q, want none", got)
	}
}
