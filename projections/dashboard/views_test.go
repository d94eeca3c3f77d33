package dashboard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/events"
)

var t0 = time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)

// history is a small app history, one event a second from t0.
func history(evs ...events.Event) []events.Recorded {
	out := make([]events.Recorded, len(evs))
	for i, e := range evs {
		data, _ := json.Marshal(e)
		out[i] = events.Recorded{Event: e, Sequence: uint64(i + 1), Envelope: events.Envelope{
			Type: events.TypeOf(e), Subject: "web", Time: t0.Add(time.Duration(i) * time.Second), Data: data}}
	}
	return out
}

func TestTimeAtFoldsTheEventsUpToTheMoment(t *testing.T) {
	recs := history(
		events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "img:1", Replicas: 2}},                             // t0
		events.InstanceScheduled{App: "web", Instance: "web-a", Version: 1, Host: "h1", HostAddr: "10.0.0.1", HostPort: 20001}, // +1s
		events.InstanceStarted{App: "web", Instance: "web-a", Host: "h1"},                                                      // +2s
		events.EndpointRegistered{App: "web", Instance: "web-a", Host: "h1", Addr: "10.0.0.1:20001"},                           // +3s
		events.InstanceScheduled{App: "web", Instance: "web-b", Version: 1, Host: "h2"},                                        // +4s
		events.InstanceExited{App: "web", Instance: "web-b", Host: "h2", ExitCode: 3},                                          // +5s
		events.AppScaled{App: "web", Replicas: 1, Previous: 2},                                                                 // +6s
		events.InstanceUnscheduled{App: "web", Instance: "web-b", Host: "h2", Reason: "scale down"},                            // +7s
		events.InstanceStopped{App: "web", Instance: "web-b", Host: "h2"},                                                      // +8s
	)
	type inst struct{ ID, State, Reason string }
	for _, tc := range []struct {
		name     string
		at       time.Time
		replicas int
		healthy  int
		want     []inst
		before   int
		after    int
	}{
		{"before anything", t0.Add(-time.Second), 0, 0, nil, 0, 3},
		{"just deployed", t0, 2, 0, nil, 1, 3},
		{"between two events", t0.Add(2500 * time.Millisecond), 2, 0, []inst{{"web-a", "running", ""}}, 3, 3},
		{"one healthy, one placed", t0.Add(4 * time.Second), 2, 1, []inst{{"web-a", "healthy", ""}, {"web-b", "scheduled", ""}}, 3, 3},
		{"the exit says why", t0.Add(5 * time.Second), 2, 1, []inst{{"web-a", "healthy", ""}, {"web-b", "exited", "exited with code 3"}}, 3, 3},
		{"scaled down, still being removed", t0.Add(7 * time.Second), 1, 1, []inst{{"web-a", "healthy", ""}, {"web-b", "unscheduled", "exited with code 3"}}, 3, 1},
		{"stopped instances are gone", t0.Add(time.Hour), 1, 1, []inst{{"web-a", "healthy", ""}}, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := timeAt("web", recs, tc.at, 3)
			var got []inst
			for _, i := range v.State.Instances {
				got = append(got, inst{i.ID, i.State, i.Reason})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("instances %+v, want %+v", got, tc.want)
			}
			if v.State.Replicas != tc.replicas || v.State.HealthyCount() != tc.healthy {
				t.Errorf("replicas %d healthy %d, want %d and %d", v.State.Replicas, v.State.HealthyCount(), tc.replicas, tc.healthy)
			}
			if len(v.Before) != tc.before || len(v.After) != tc.after {
				t.Errorf("%d events before and %d after, want %d and %d", len(v.Before), len(v.After), tc.before, tc.after)
			}
			if !v.First.Equal(t0) || !v.Last.Equal(t0.Add(8*time.Second)) {
				t.Errorf("range %v..%v", v.First, v.Last)
			}
		})
	}
}

func TestWithReasonsNamesTheLastFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   []events.Event
		want string
	}{
		{"pull failed", []events.Event{events.InstanceExited{Instance: "i", Error: `pull image "x": image unavailable`}}, `pull image "x": image unavailable`},
		{"out of memory", []events.Event{events.InstanceExited{Instance: "i", ExitCode: 137, OOMKilled: true}}, "killed for using too much memory (exit 137)"},
		{"health check", []events.Event{events.InstanceHealthFailed{Instance: "i", Reason: "GET /_ping: 404"}}, "health: GET /_ping: 404"},
		{"unscheduled keeps the cause", []events.Event{events.InstanceExited{Instance: "i", ExitCode: 1}, events.InstanceUnscheduled{Instance: "i", Reason: "replace"}}, "exited with code 1"},
		{"unscheduled alone", []events.Event{events.InstanceUnscheduled{Instance: "i", Reason: "scale down"}}, "scale down"},
		{"placed again clears it", []events.Event{events.InstanceExited{Instance: "i", ExitCode: 1}, events.InstanceScheduled{Instance: "i"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withReasons(Snapshot{Instances: []InstanceAt{{ID: "i"}}}, history(tc.ev...))
			if got := s.Instances[0].Reason; got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSliderTime(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		in      string
		want    time.Time
		live    bool
		invalid bool
	}{
		{"", now, true, false},
		{"2026-01-02T15:00:05Z", t0.Add(5 * time.Second), false, false},
		{"2026-01-02T15:00:05.250+00:00", t0.Add(5250 * time.Millisecond), false, false},
		{"1767366005000", t0.Add(5 * time.Second), false, false},
		{"2030-01-01T00:00:00Z", now, true, false},
		{"yesterday", time.Time{}, false, true},
		{"12:00", time.Time{}, false, true},
	} {
		got, live, err := sliderTime(tc.in, now)
		if (err != nil) != tc.invalid {
			t.Errorf("%q: error %v, want invalid=%v", tc.in, err, tc.invalid)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "at: ") {
				t.Errorf("%q: error %q does not name the parameter", tc.in, err)
			}
			continue
		}
		if !got.Equal(tc.want) || live != tc.live {
			t.Errorf("%q: %v live=%v, want %v live=%v", tc.in, got, live, tc.want, tc.live)
		}
	}
}

func FuzzSliderTime(f *testing.F) {
	for _, s := range []string{"", "2026-01-02T15:00:05Z", "1767366005000", "-1", "9999999999999999999"} {
		f.Add(s)
	}
	now := t0
	f.Fuzz(func(t *testing.T, s string) {
		got, live, err := sliderTime(s, now)
		if err == nil && got.After(now) {
			t.Fatalf("%q: %v is after now", s, got)
		}
		if err == nil && live != got.Equal(now) {
			t.Fatalf("%q: live=%v at %v", s, live, got)
		}
	})
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"app":"web","replicas":3,"previous":2,"cause":"manual"}`, "cause=manual previous=2 replicas=3"},
		{`{"app":"web","deny":["10.0.0.0/8","192.0.2.7"]}`, "deny=[10.0.0.0/8 192.0.2.7]"},
		{`{"error":"","exit_code":0,"oom_killed":false}`, "exit_code=0 oom_killed=false"},
		{`{"app":"web","from":2,"to":3,"rule":"cpu-high","inputs":{"cpu_percent":81.5,"rps":12}}`, "from=2 inputs.cpu_percent=81.5 inputs.rps=12 rule=cpu-high to=3"},
		{`{"a":{"b":{"c":1}}}`, ""},
		{`{"memory_bytes":67108864,"cpus":0.5}`, "cpus=0.5 memory_bytes=67108864"},
		{`not json`, ""},
		{`{"reason":"` + strings.Repeat("x", 300) + `"}`, "reason=" + strings.Repeat("x", 190) + "..."},
	} {
		if got := summarize(json.RawMessage(tc.in)); got != tc.want {
			t.Errorf("summarize(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add(`{"app":"web","replicas":3}`)
	f.Add(`{"a":[1,"x",{"b":2}],"c":null}`)
	f.Fuzz(func(t *testing.T, s string) {
		got := summarize(json.RawMessage(s))
		if len(got) > 200 {
			t.Fatalf("summary of %d bytes", len(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("summary %q of valid text is not valid UTF-8", got)
		}
	})
}

func TestZonesGroupTheTopology(t *testing.T) {
	h := func(id, zone, state string) HostRow {
		var r HostRow
		r.ID, r.Zone, r.State = id, zone, state
		return r
	}
	got := zones([]HostRow{h("h3", "b", "ready"), h("h1", "a", "ready"), h("h4", "", "ready"), h("h2", "b", "lost")})
	var names []string
	for _, z := range got {
		var ids []string
		for _, x := range z.Hosts {
			ids = append(ids, x.ID)
		}
		names = append(names, z.Name+":"+strings.Join(ids, ",")+":"+strings.Repeat("!", z.Lost))
	}
	want := []string{"(no zone):h4:", "a:h1:", "b:h2,h3:!"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("zones %v, want %v", names, want)
	}
}
