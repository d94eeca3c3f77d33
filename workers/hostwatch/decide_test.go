package hostwatch

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

func TestStale(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const timeout, grace = 10 * time.Second, 10 * time.Second
	cases := []struct {
		name     string
		hosts    []Host
		now      time.Time
		watching time.Time
		want     []string
	}{
		{"beating host is fine", []Host{{ID: "h1", Registered: at(0), LastBeat: at(95)}}, at(100), at(0), nil},
		{"silent host is lost", []Host{{ID: "h1", Registered: at(0), LastBeat: at(80)}}, at(100), at(0), []string{"h1"}},
		{"exactly the timeout is not yet lost", []Host{{ID: "h1", Registered: at(0), LastBeat: at(90)}}, at(100), at(0), nil},
		{"a fresh registration counts as seen", []Host{{ID: "h1", Registered: at(95), LastBeat: at(10)}}, at(100), at(0), nil},
		{"registered, never beat, past timeout", []Host{{ID: "h1", Registered: at(50)}}, at(100), at(0), []string{"h1"}},
		{"already lost is not lost again", []Host{{ID: "h1", Registered: at(0), Lost: true}}, at(100), at(0), nil},
		{"within grace of the watch starting", []Host{{ID: "h1", Registered: at(0)}}, at(100), at(95), nil},
		{"watch not running", []Host{{ID: "h1", Registered: at(0)}}, at(100), time.Time{}, nil},
		{"several, sorted", []Host{{ID: "h3", Registered: at(0)}, {ID: "h2", Registered: at(99)}, {ID: "h1", Registered: at(0)}},
			at(100), at(0), []string{"h1", "h3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, l := range Stale(c.hosts, c.now, c.watching, timeout, grace) {
				got = append(got, l.Host)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	lost := Stale([]Host{{ID: "h1", Registered: at(0), LastBeat: at(42)}}, at(100), at(0), timeout, grace)
	if len(lost) != 1 || !lost[0].LastSeen.Equal(at(42)) {
		t.Fatalf("HostLost %+v, want last seen at the last heartbeat", lost)
	}
}

func TestSettled(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(e events.Event, s int) events.Recorded {
		return events.Recorded{Envelope: events.Envelope{Time: t0.Add(time.Duration(s) * time.Second)}, Event: e}
	}
	reg, lost := events.HostRegistered{Host: "h1"}, events.HostLost{Host: "h1"}
	cases := []struct {
		name    string
		history []events.Recorded
		want    bool
	}{
		{"unknown host", nil, true},
		{"registered long ago", []events.Recorded{rec(reg, 0)}, false},
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
