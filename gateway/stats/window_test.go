package stats

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestWindowPercentiles(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	w := NewWindow(10*time.Second, clock.now)

	// 90 fast requests and 10 slow ones, spread over 5 seconds.
	for s := range 5 {
		for range 18 {
			w.Observe("web", 0, 200, 2*time.Millisecond)
		}
		for range 2 {
			w.Observe("web", 0, 502, 400*time.Millisecond)
		}
		if s < 4 {
			clock.advance(time.Second)
		}
	}
	got := w.Snapshot("web")
	if got.Requests != 100 || got.Errors != 10 {
		t.Fatalf("requests, errors = %d, %d; want 100, 10", got.Requests, got.Errors)
	}
	if got.Window != 5*time.Second || got.RPS != 20 {
		t.Errorf("window, rps = %v, %v; want 5s, 20 (the window is young)", got.Window, got.RPS)
	}
	within := func(d, want time.Duration) bool { return d >= want*4/5 && d <= want*5/4 }
	if !within(got.P50, 2*time.Millisecond) {
		t.Errorf("p50 = %v, want about 2ms", got.P50)
	}
	if !within(got.P95, 400*time.Millisecond) {
		t.Errorf("p95 = %v, want about 400ms", got.P95)
	}

	// Ten seconds on, all of that has slid out of the window.
	clock.advance(10 * time.Second)
	w.Observe("web", 0, 200, time.Millisecond)
	got = w.Snapshot("web")
	if got.Requests != 1 || got.Window != 10*time.Second {
		t.Errorf("after sliding: requests %d window %v, want 1 and 10s", got.Requests, got.Window)
	}
	if got.P95 > 2*time.Millisecond {
		t.Errorf("after sliding: p95 = %v, the slow requests should be gone", got.P95)
	}
}

func TestWindowUnknownApp(t *testing.T) {
	w := NewWindow(30*time.Second, nil)
	if got := w.Snapshot("nope"); got.Requests != 0 || got.Window != 30*time.Second {
		t.Errorf("Snapshot = %+v", got)
	}
	w.Observe("b", 0, 200, time.Millisecond)
	w.Observe("a", 0, 200, time.Millisecond)
	if got := w.Apps(); len(got) != 2 || got[0] != "a" {
		t.Errorf("Apps = %v", got)
	}
}

func TestBuckets(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, bucketFirst, bucketFirst + 1, 3 * time.Millisecond, time.Second, time.Hour} {
		b := bucketOf(d)
		if b < numBuckets-1 && d > bucketUpper[b] {
			t.Errorf("bucketOf(%v) = %d, upper %v is below it", d, b, bucketUpper[b])
		}
		if b > 0 && d <= bucketUpper[b-1] {
			t.Errorf("bucketOf(%v) = %d, but bucket %d already holds it", d, b, b-1)
		}
	}
	if bucketUpper[numBuckets-1] < time.Minute {
		t.Errorf("last bucket ends at %v, want at least a minute", bucketUpper[numBuckets-1])
	}
}
