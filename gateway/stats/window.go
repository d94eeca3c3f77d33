package stats

import (
	"slices"
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// Stats is one app's traffic over the window ending now.
type Stats struct {
	Requests int64         // requests answered in the window
	Errors   int64         // of which 5xx
	RPS      float64       // Requests per second of window
	P50      time.Duration // median latency
	P95      time.Duration // 95th percentile latency
	Window   time.Duration // span the numbers cover (shorter while young)
}

// DefaultWindow is the span Snapshot covers unless configured otherwise.
const DefaultWindow = 30 * time.Second

// Window keeps a sliding window of per-app request stats in process.
type Window struct {
	seconds int
	now     func() time.Time
	rings   sync.Map // app -> *ring
}

// NewWindow returns a window of the given span (rounded to whole seconds,
// at least one); now may be nil for the wall clock.
func NewWindow(span time.Duration, now func() time.Time) *Window {
	if now == nil {
		now = time.Now
	}
	return &Window{seconds: max(1, int(span/time.Second)), now: now}
}

// Observe records one answered request of app that took d; status is the
// HTTP status sent, release the release that answered (0: none).
func (w *Window) Observe(app string, release, status int, d time.Duration) {
	w.ring(app).observe(w.now(), d, status >= 500, release)
}

// DrainReleases returns app's traffic per release since the previous call
// and starts counting afresh: two calls never count the same request. Only
// one reader (the publisher) may drain.
func (w *Window) DrainReleases(app string) []events.ReleaseTraffic {
	v, ok := w.rings.Load(app)
	if !ok {
		return nil
	}
	return v.(*ring).drain()
}

// Snapshot returns app's stats over the window; zero stats for an app never
// seen.
func (w *Window) Snapshot(app string) Stats {
	v, ok := w.rings.Load(app)
	if !ok {
		return Stats{Window: time.Duration(w.seconds) * time.Second}
	}
	return v.(*ring).snapshot(w.now())
}

// Apps lists every app observed so far, sorted.
func (w *Window) Apps() []string {
	var apps []string
	w.rings.Range(func(k, _ any) bool {
		apps = append(apps, k.(string))
		return true
	})
	slices.Sort(apps)
	return apps
}

func (w *Window) ring(app string) *ring {
	if v, ok := w.rings.Load(app); ok {
		return v.(*ring)
	}
	v, _ := w.rings.LoadOrStore(app, newRing(w.seconds, w.now()))
	return v.(*ring)
}
