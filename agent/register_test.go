package agent

import (
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
			if got := needsRegistration(foldHost(recs), want); got != tc.want {
				t.Errorf("needsRegistration = %v, want %v", got, tc.want)
			}
		})
	}

	noLabels := want
	noLabels.Labels = nil
	empty := want
	empty.Labels = map[string]string{}
	if needsRegistration(foldHost([]events.Recorded{rec(empty)}), noLabels) {
		t.Error("nil and empty labels count as a change")
	}
}
