package hostwatch

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestJudge(t *testing.T) {
	rules := Rules{Timeout: 10 * time.Second, Grace: 10 * time.Second, MassSilence: 0.55}
	beating := func(id string) Host { return Host{ID: id, Registered: at(0), LastBeat: at(99)} }
	cases := []struct {
		name       string
		hosts      []Host
		busNow     time.Time
		fresh      time.Duration
		lost, held []string
		waiting    string
	}{
		{name: "beating host is fine", hosts: []Host{beating("h1"), beating("h2")}, busNow: at(100), fresh: time.Minute},
		{name: "silent host is lost",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}, beating("h2"), beating("h3")},
			busNow: at(100), fresh: time.Minute, lost: []string{"h1"}},
		{name: "exactly the timeout is not yet lost",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(90)}, beating("h2")},
			busNow: at(100), fresh: time.Minute},
		{name: "a fresh registration counts as seen",
			hosts:  []Host{{ID: "h1", Registered: at(95), LastBeat: at(10)}, beating("h2")},
			busNow: at(100), fresh: time.Minute},
		{name: "registered, never beat, past timeout",
			hosts:  []Host{{ID: "h1", Registered: at(50)}, beating("h2"), beating("h3")},
			busNow: at(100), fresh: time.Minute, lost: []string{"h1"}},
		{name: "already lost is not lost again, nor counted",
			hosts:  []Host{{ID: "h1", Registered: at(0), Lost: true}, {ID: "h2", Registered: at(0), Lost: true}, beating("h3"), {ID: "h4", Registered: at(0), LastBeat: at(50)}},
			busNow: at(100), fresh: time.Minute, lost: []string{"h4"}},
		{name: "late heartbeats: silence is measured on the bus's clock, not the judge's",
			// The judge's clock may be far ahead; the bus says h1 beat 5s ago.
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(95)}, beating("h2")},
			busNow: at(100), fresh: time.Minute},
		{name: "within grace of the watch starting",
			hosts:  []Host{{ID: "h1", Registered: at(0)}, beating("h2"), beating("h3")},
			busNow: at(100), fresh: 5 * time.Second, waiting: "grace is 10s"},
		{name: "disrupted judge (watch broken) declares nothing",
			hosts:  []Host{{ID: "h1", Registered: at(0)}, beating("h2"), beating("h3")},
			busNow: at(100), fresh: 0, waiting: "not watching"},
		{name: "mass silence: 2 of 3 silent holds both",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}, {ID: "h2", Registered: at(0), LastBeat: at(85)}, beating("h3")},
			busNow: at(100), fresh: time.Minute, held: []string{"h1", "h2"}},
		{name: "mass silence: every host silent",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}, {ID: "h2", Registered: at(0), LastBeat: at(85)}},
			busNow: at(100), fresh: time.Minute, held: []string{"h1", "h2"}},
		{name: "mass silence: the only host",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}},
			busNow: at(100), fresh: time.Minute, held: []string{"h1"}},
		{name: "one of two is under the threshold",
			hosts:  []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}, beating("h2")},
			busNow: at(100), fresh: time.Minute, lost: []string{"h1"}},
		{name: "lost hosts do not count towards the share",
			// 1 silent of 2 alive (50%): lost, though 3 of 4 hosts are down.
			hosts:  []Host{{ID: "h1", Lost: true}, {ID: "h2", Lost: true}, {ID: "h3", Registered: at(0), LastBeat: at(70)}, beating("h4")},
			busNow: at(100), fresh: time.Minute, lost: []string{"h3"}},
		{name: "several, sorted",
			hosts:  []Host{{ID: "h3", Registered: at(0)}, {ID: "h2", Registered: at(99)}, {ID: "h1", Registered: at(0)}, beating("h4"), beating("h5")},
			busNow: at(100), fresh: time.Minute, lost: []string{"h1", "h3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(View{Hosts: c.hosts, BusNow: c.busNow, Fresh: c.fresh}, rules)
			var lost, held []string
			for _, l := range v.Lost {
				lost = append(lost, l.Host)
			}
			for _, h := range v.Held {
				held = append(held, h.Host)
			}
			if !reflect.DeepEqual(lost, c.lost) || !reflect.DeepEqual(held, c.held) {
				t.Fatalf("lost %v held %v, want lost %v held %v", lost, held, c.lost, c.held)
			}
			if !strings.Contains(v.Waiting, c.waiting) || (c.waiting == "") != (v.Waiting == "") {
				t.Fatalf("waiting %q, want %q", v.Waiting, c.waiting)
			}
		})
	}
}

func TestJudgeEvidence(t *testing.T) {
	rules := Rules{Timeout: 10 * time.Second, Grace: 10 * time.Second, MassSilence: 0.55}
	v := Judge(View{BusNow: at(100), Fresh: 30 * time.Second, Hosts: []Host{
		{ID: "h1", Registered: at(0), LastBeat: at(42)},
		{ID: "h2", Registered: at(0), LastBeat: at(99)}, {ID: "h3", Registered: at(0), LastBeat: at(99)},
	}}, rules)
	want := events.HostLost{Host: "h1", LastSeen: at(42), Judged: at(100), ObservedSince: at(70), Silent: 1, Hosts: 3}
	if len(v.Lost) != 1 || !reflect.DeepEqual(v.Lost[0], want) {
		t.Fatalf("lost %+v, want %+v", v.Lost, want)
	}

	v = Judge(View{BusNow: at(100), Fresh: 30 * time.Second, Hosts: []Host{
		{ID: "h1", Registered: at(0), LastBeat: at(42)}, {ID: "h2", Registered: at(0), LastBeat: at(43)},
	}}, rules)
	if len(v.Held) != 2 || v.Held[0].LastSeen != at(42) || v.Held[0].Silent != 2 || v.Held[0].Hosts != 2 ||
		v.Held[0].Threshold != 0.55 || !strings.Contains(v.Held[0].Reason, "2 of 2 hosts silent") {
		t.Fatalf("held %+v", v.Held)
	}
}

func TestObserver(t *testing.T) {
	local := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // the judge's clock: far from the bus's
	l := func(s float64) time.Time { return local.Add(time.Duration(s * float64(time.Second))) }
	o := newObserver()
	if !o.busNow(l(0)).IsZero() || o.fresh(l(0)) != 0 {
		t.Fatal("an observer that saw nothing knows no bus time and is not fresh")
	}
	o.beat("h1", at(10), 1, l(0.5)) // delivered half a second late
	if got := o.busNow(l(2.5)); !got.Equal(at(12)) {
		t.Fatalf("bus now %v, want %v (bus time of the beat + local time since)", got, at(12))
	}
	// A beat delivered with a longer delay does not move the bus clock back.
	o.beat("h2", at(11), 2, l(3))
	if got := o.busNow(l(3)); !got.Equal(at(12.5)) {
		t.Fatalf("bus now %v, want %v", got, at(12.5))
	}
	// One delivered faster moves it forward.
	o.beat("h2", at(13), 3, l(3.1))
	if got := o.busNow(l(3.1)); !got.Equal(at(13)) {
		t.Fatalf("bus now %v, want %v", got, at(13))
	}
	if o.beat("h2", at(13), 3, l(4)) {
		t.Fatal("the same revision again is not newer")
	}
	if !o.beat("h1", at(14), 4, l(4)) {
		t.Fatal("a higher revision is newer")
	}
	if o.quietFor(l(6)) != 2*time.Second {
		t.Fatalf("quiet for %v", o.quietFor(l(6)))
	}

	o.resumed(l(5))
	o.resumed(l(8)) // still undisturbed: the window keeps its start
	if o.fresh(l(9)) != 4*time.Second {
		t.Fatalf("fresh %v, want 4s", o.fresh(l(9)))
	}
	o.disrupted()
	if o.fresh(l(9)) != 0 {
		t.Fatal("disrupted view is not fresh")
	}
	o.resumed(l(10))
	if o.fresh(l(11)) != time.Second {
		t.Fatalf("fresh %v after resuming, want 1s", o.fresh(l(11)))
	}
}

func TestSettled(t *testing.T) {
	rec := func(e events.Event, s int) events.Recorded {
		return events.Recorded{Envelope: events.Envelope{Time: t0.Add(time.Duration(s) * time.Second)}, Event: e}
	}
	reg, lost := events.HostRegistered{Host: "h1"}, events.HostLost{Host: "h1"}
	held := events.HostLossHeld{Host: "h1", LastSeen: at(40)}
	cases := []struct {
		name    string
		history []events.Recorded
		want    bool
	}{
		{"unknown host", nil, true},
		{"registered long ago", []events.Recorded{rec(reg, 0)}, false},
		{"registered long ago, held since", []events.Recorded{rec(reg, 0), rec(held, 50)}, false},
		{"already lost", []events.Recorded{rec(reg, 0), rec(lost, 50)}, true},
		{"came back after being lost", []events.Recorded{rec(reg, 0), rec(lost, 50), rec(reg, 60)}, false},
		{"registered again just now", []events.Recorded{rec(reg, 0), rec(lost, 50), rec(reg, 95)}, true},
		{"undecodable last event is skipped", []events.Recorded{rec(reg, 0), rec(lost, 50), {}}, true},
	}
	for _, c := range cases {
		if got := settled(c.history, t0.Add(100*time.Second), 10*time.Second); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHeldAlready(t *testing.T) {
	rec := func(e events.Event) events.Recorded { return events.Recorded{Event: e} }
	reg := events.HostRegistered{Host: "h1"}
	this := events.HostLossHeld{Host: "h1", LastSeen: at(40)}
	earlier := events.HostLossHeld{Host: "h1", LastSeen: at(10)}
	cases := []struct {
		name    string
		history []events.Recorded
		want    bool
	}{
		{"unknown host", nil, true},
		{"registered, never held", []events.Recorded{rec(reg)}, false},
		{"this silence held", []events.Recorded{rec(reg), rec(this)}, true},
		{"an earlier silence held", []events.Recorded{rec(reg), rec(earlier)}, false},
		{"lost", []events.Recorded{rec(reg), rec(events.HostLost{Host: "h1"})}, true},
	}
	for _, c := range cases {
		if got := heldAlready(c.history, this); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
