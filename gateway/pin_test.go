package gateway

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/gateway/routing"
	"github.com/berth-dev/berth/gateway/stats"
)

func TestPinOf(t *testing.T) {
	tests := []struct {
		values []string // nil: no header
		want   int
		bad    bool
	}{
		{nil, 0, false},
		{[]string{"7"}, 7, false},
		{[]string{" 12 "}, 12, false},
		{[]string{""}, 0, true},
		{[]string{"0"}, 0, true},
		{[]string{"-1"}, 0, true},
		{[]string{"7a"}, 0, true},
		{[]string{"99999999999999999999999"}, 0, true},
		{[]string{"7", "8"}, 0, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add(HeaderRelease, v)
		}
		got, err := pinOf(h)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("pinOf(%q) = %d, %v; want %d, bad %v", tt.values, got, err, tt.want, tt.bad)
		}
	}
}

// FuzzPinOf: a header value is either a positive release number that
// reads back the same, or a 400 naming it.
func FuzzPinOf(f *testing.F) {
	for _, s := range []string{"7", "", "0", "-1", "+3", " 12", "1e3", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := pinOf(http.Header{HeaderRelease: {v}})
		if err != nil {
			if n != 0 {
				t.Fatalf("pinOf(%q) = %d with error %v", v, n, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("pinOf(%q) = %d, want a positive release", v, n)
		}
		if back, _ := pinOf(http.Header{HeaderRelease: {strconv.Itoa(n)}}); back != n {
			t.Fatalf("pinOf(%q) = %d, does not read back", v, n)
		}
	})
}

// BenchmarkReleasePath is the gateway's per-request work around the
// proxy for a weighted app: the pin header, the release pick, the
// endpoint walk and the per-release stats. It must not allocate.
func BenchmarkReleasePath(b *testing.B) {
	endpoints := []routing.Endpoint{
		{App: "web", Instance: "web-a", Addr: "127.0.0.2:1", Release: 6},
		{App: "web", Instance: "web-b", Addr: "127.0.0.3:1", Release: 6},
		{App: "web", Instance: "web-c", Addr: "127.0.0.4:1", Release: 7},
	}
	weighted, _ := routing.Build([]routing.Route{{App: "web", Weights: []routing.Weight{{Release: 7, Weight: 10}, {Release: 6, Weight: 90}}}}, endpoints)
	alike, _ := routing.Build(nil, endpoints)
	m, err := stats.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	rec := stats.NewRecorder(m, stats.NewWindow(time.Minute, nil))
	ej := newEjector(time.Second)
	run := func(b *testing.B, table *routing.Table, h http.Header) {
		b.ReportAllocs()
		// The proxy keeps the selection in the request's route, which it
		// allocates per request anyway (for the transport to find).
		sel := new(selection)
		for b.Loop() {
			start := time.Now()
			app, ok := table.Lookup("web.localhost", "localhost")
			if !ok {
				b.Fatal("no app")
			}
			st := rec.App(app.Name)
			pin, err := pinOf(h)
			if err != nil {
				b.Fatal(err)
			}
			p, ok := app.Pick(pin)
			if !ok {
				b.Fatal("no pick")
			}
			*sel = selection{}
			sel.init(app.Endpoints, p)
			ep, ok := sel.next(ej, start)
			if !ok {
				b.Fatal("no endpoint")
			}
			st.Observe(ep.Release, http.StatusOK, 100, start)
		}
	}
	b.Run("alike", func(b *testing.B) { run(b, alike, http.Header{}) })
	b.Run("weighted", func(b *testing.B) { run(b, weighted, http.Header{}) })
	b.Run("pinned", func(b *testing.B) { run(b, weighted, http.Header{HeaderRelease: {"7"}}) })
}
