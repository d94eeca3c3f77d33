package stats

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

func TestLatencyBucket(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{time.Millisecond, 0}, // a bound belongs to its own bucket
		{time.Millisecond + 1, 1},
		{3 * time.Millisecond, 2},
		{10 * time.Millisecond, 3},
		{499 * time.Millisecond, 9},
		{10 * time.Second, len(events.LatencyBoundsMS) - 1},
		{time.Hour, len(events.LatencyBoundsMS)},
	}
	for _, tt := range tests {
		if got := latencyBucket(tt.d); got != tt.want {
			t.Errorf("latencyBucket(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestDrainReleasesNeverCountsTwice(t *testing.T) {
	w := NewWindow(10*time.Second, nil)
	if got := w.DrainReleases("web"); got != nil {
		t.Fatalf("unknown app: %v", got)
	}
	for range 9 {
		w.Observe("web", 6, 200, 3*time.Millisecond)
	}
	w.Observe("web", 6, 502, 3*time.Millisecond)
	w.Observe("web", 7, 500, 400*time.Millisecond)
	w.Observe("web", 7, 200, 2*time.Second)

	got := w.DrainReleases("web")
	if len(got) != 2 || got[0].Release != 6 || got[1].Release != 7 {
		t.Fatalf("drain = %+v, want releases 6 and 7 in order", got)
	}
	if r := got[0]; r.Requests != 10 || r.Errors != 1 || r.Latency[2] != 10 || events.Quantile(r.Latency, 0.99) != 5 {
		t.Errorf("release 6 = %+v, want 10 requests, 1 error, all in the 5 ms bucket", r)
	}
	if r := got[1]; r.Requests != 2 || r.Errors != 1 || events.Quantile(r.Latency, 0.5) != 500 || events.Quantile(r.Latency, 0.99) != 2000 {
		t.Errorf("release 7 = %+v, want 2 requests, 1 error, p50 500 ms, p99 2 s", r)
	}

	// The next period starts empty; a release without traffic is left out.
	w.Observe("web", 7, 200, time.Millisecond)
	got = w.DrainReleases("web")
	if len(got) != 1 || got[0].Release != 7 || got[0].Requests != 1 || got[0].Errors != 0 || got[0].Latency[0] != 1 {
		t.Errorf("second drain = %+v, want only the one new request of release 7", got)
	}
	if got := w.DrainReleases("web"); len(got) != 0 {
		t.Errorf("third drain = %+v, want nothing", got)
	}
	// The window itself is untouched by draining.
	if s := w.Snapshot("web"); s.Requests != 13 || s.Errors != 2 {
		t.Errorf("window = %+v, want all 13 requests, 2 errors", s)
	}
}
