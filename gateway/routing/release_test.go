package routing

import (
	"encoding/json"
	"slices"
	"testing"
)

func weighted(t *testing.T, weights []Weight, endpoints ...Endpoint) *App {
	t.Helper()
	table, problems := Build([]Route{{App: "web", Weights: weights}}, endpoints)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	a, _ := table.App("web")
	return a
}

func ep(instance string, release int) Endpoint {
	return Endpoint{App: "web", Instance: instance, Addr: instance + ":1", Release: release}
}

func TestSWRRSchedule(t *testing.T) {
	tests := []struct {
		weights []int
		want    []int
	}{
		{nil, nil},
		{[]int{0, 0}, nil},
		{[]int{100}, []int{0}},
		{[]int{10, 90}, []int{1, 1, 1, 1, 0, 1, 1, 1, 1, 1}},
		{[]int{50, 50}, []int{0, 1}},
		{[]int{5, 1, 1}, []int{0, 0, 1, 0, 2, 0, 0}}, // nginx's own example: a a b a c a a
		{[]int{1, 2}, []int{1, 0, 1}},
	}
	for _, tt := range tests {
		if got := swrr(tt.weights); !slices.Equal(got, tt.want) {
			t.Errorf("swrr(%v) = %v, want %v", tt.weights, got, tt.want)
		}
	}
	// Weights whose reduced sum is huge are scaled into a bounded round.
	if got := swrr([]int{9999, 9998, 9997}); len(got) > maxSchedule+3 || len(got) < maxSchedule-3 {
		t.Errorf("huge weights: round of %d", len(got))
	}
}

func TestPickByWeight(t *testing.T) {
	a := weighted(t, []Weight{{Release: 7, Weight: 10}, {Release: 6, Weight: 90}},
		ep("web-b", 6), ep("web-a", 6), ep("web-c", 7), ep("web-old", 5))
	if got := a.Schedule(); !slices.Equal(got, []int{6, 6, 6, 6, 7, 6, 6, 6, 6, 6}) {
		t.Fatalf("schedule = %v", got)
	}
	count := map[string]int{}
	for range 1000 {
		p, ok := a.Pick(0)
		if !ok || p.Pinned {
			t.Fatalf("Pick = %+v, %v", p, ok)
		}
		e := a.Endpoints[p.Lo+int(p.Counter%uint64(p.Hi-p.Lo))]
		if e.Release != p.Release {
			t.Fatalf("picked %+v for release %d", e, p.Release)
		}
		count[e.Instance]++
	}
	if count["web-a"] != 450 || count["web-b"] != 450 || count["web-c"] != 100 || count["web-old"] != 0 {
		t.Errorf("1000 picks: %v, want 450/450 on release 6, 100 on 7, none on the unweighted 5", count)
	}
}

func TestPickFallsBackAndPins(t *testing.T) {
	tests := []struct {
		name    string
		weights []Weight
		eps     []Endpoint
		pin     int
		ok      bool
		release int
		run     int // endpoints in the preferred run
	}{
		{"no weights: all alike", nil, []Endpoint{ep("a", 1), ep("b", 2)}, 0, true, 0, 2},
		{"weighted release without endpoints: all", []Weight{{9, 100}}, []Endpoint{ep("a", 1), ep("b", 2)}, 0, true, 0, 2},
		{"weight 0 gets nothing", []Weight{{1, 0}, {2, 100}}, []Endpoint{ep("a", 1), ep("b", 2)}, 0, true, 2, 1},
		{"only weight 0: all", []Weight{{1, 0}}, []Endpoint{ep("a", 1), ep("b", 2)}, 0, true, 0, 2},
		{"pin overrides weight 0", []Weight{{1, 0}, {2, 100}}, []Endpoint{ep("a", 1), ep("b", 2)}, 1, true, 1, 1},
		{"pin without endpoints", []Weight{{3, 100}}, []Endpoint{ep("a", 1)}, 3, false, 0, 0},
		{"no endpoints at all", nil, nil, 0, false, 0, 0},
	}
	for _, tt := range tests {
		a := weighted(t, tt.weights, tt.eps...)
		p, ok := a.Pick(tt.pin)
		if ok != tt.ok || p.Release != tt.release || p.Hi-p.Lo != tt.run || p.Pinned != (tt.pin > 0 && ok) {
			t.Errorf("%s: Pick(%d) = %+v, %v; want release %d, run %d, ok %v", tt.name, tt.pin, p, ok, tt.release, tt.run, tt.ok)
		}
	}
}

func TestBadWeights(t *testing.T) {
	_, problems := Build([]Route{{App: "web", Weights: []Weight{{0, 5}, {1, -1}, {2, MaxWeight + 1}, {3, 5}, {3, 6}}}}, nil)
	if len(problems) != 4 {
		t.Errorf("problems = %v, want 4", problems)
	}
}

func TestCarryOverKeepsTurn(t *testing.T) {
	eps := []Endpoint{ep("a", 1), ep("b", 2)}
	ws := []Weight{{1, 1}, {2, 99}}
	prev := weighted(t, ws, eps...)
	got := 0
	// Every pick on a fresh table: the 1% release must still get its turn.
	for range 200 {
		table, _ := Build([]Route{{App: "web", Weights: ws}}, eps)
		table.CarryOver(&Table{apps: map[string]*App{"web": prev}})
		prev, _ = table.App("web")
		if p, _ := prev.Pick(0); p.Release == 1 {
			got++
		}
	}
	if got != 2 {
		t.Errorf("release 1 picked %d times in 200 rebuilds, want 2", got)
	}
}

func TestRouteValueJSON(t *testing.T) {
	var r Route
	if err := json.Unmarshal([]byte(`{"app":"web","weights":[{"release":7,"weight":10},{"release":6,"weight":90}]}`), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Weights) != 2 || r.Weights[0] != (Weight{7, 10}) {
		t.Errorf("weights = %+v", r.Weights)
	}
	var e Endpoint
	if err := json.Unmarshal([]byte(`{"app":"web","instance":"web-1","addr":"x:1","release":7}`), &e); err != nil || e.Release != 7 {
		t.Errorf("endpoint = %+v, %v", e, err)
	}
}

// FuzzBuildWeights decodes route and endpoint values as the gateway does
// and checks every pick lands on an endpoint of the release it names.
func FuzzBuildWeights(f *testing.F) {
	f.Add([]byte(`{"app":"web","weights":[{"release":7,"weight":10},{"release":6,"weight":90}]}`), []byte(`[{"app":"web","instance":"a","addr":"x:1","release":6},{"app":"web","instance":"b","addr":"x:2","release":7}]`), 0)
	f.Add([]byte(`{"app":"web","weights":[{"release":1,"weight":0}]}`), []byte(`[{"app":"web","instance":"a","addr":"x:1"}]`), 1)
	f.Fuzz(func(t *testing.T, route, endpoints []byte, pin int) {
		var r Route
		var eps []Endpoint
		if json.Unmarshal(route, &r) != nil || json.Unmarshal(endpoints, &eps) != nil {
			return
		}
		table, _ := Build([]Route{r}, eps)
		for _, name := range table.Apps() {
			a, _ := table.App(name)
			for range 3 {
				p, ok := a.Pick(pin)
				if !ok {
					continue
				}
				if p.Lo < 0 || p.Hi > len(a.Endpoints) || p.Lo >= p.Hi {
					t.Fatalf("pick %+v over %d endpoints", p, len(a.Endpoints))
				}
				for _, e := range a.Endpoints[p.Lo:p.Hi] {
					if p.Release != 0 && e.Release != p.Release {
						t.Fatalf("pick %+v holds endpoint of release %d", p, e.Release)
					}
				}
			}
		}
	})
}

func BenchmarkPickWeighted(b *testing.B) {
	table, _ := Build([]Route{{App: "web", Weights: []Weight{{7, 10}, {6, 90}}}},
		[]Endpoint{ep("a", 6), ep("b", 6), ep("c", 7)})
	a, _ := table.App("web")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := a.Pick(0); !ok {
			b.Fatal("no pick")
		}
	}
}
