package stats

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Recorder feeds both the Prometheus metrics and the window, caching each
// app's series so the request path does one map load.
type Recorder struct {
	metrics *Metrics
	window  *Window
	apps    sync.Map // app -> *App
}

// NewRecorder records into m and w.
func NewRecorder(m *Metrics, w *Window) *Recorder {
	return &Recorder{metrics: m, window: w}
}

// App is one app's cached series.
type App struct {
	name     string
	metrics  *Metrics
	bytesOut prometheus.Counter
	denied   prometheus.Counter
	retries  prometheus.Counter
	ring     *ring
	now      func() time.Time

	// releases is copied on write, so the request path reads it without a
	// lock; mu serializes the writers.
	releases atomic.Pointer[map[int]*releaseSeries]
	mu       sync.Mutex
}

// releaseSeries are one release's series.
type releaseSeries struct {
	classes [6]prometheus.Counter // index status/100; 0 = anything odd
	latency prometheus.Observer
}

// classLabels are the class label values by status/100.
var classLabels = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// App returns the series of the named app.
func (r *Recorder) App(name string) *App {
	if v, ok := r.apps.Load(name); ok {
		return v.(*App)
	}
	m := r.metrics
	a := &App{
		name:     name,
		metrics:  m,
		bytesOut: m.bytesOut.WithLabelValues(name),
		denied:   m.denied.WithLabelValues(name),
		retries:  m.retries.WithLabelValues(name),
		ring:     r.window.ring(name),
		now:      r.window.now,
	}
	a.releases.Store(&map[int]*releaseSeries{})
	v, _ := r.apps.LoadOrStore(name, a)
	return v.(*App)
}

// Prune drops the Prometheus series of every release live reports gone,
// so an app deployed many times does not pile up series. Release 0 stays.
func (r *Recorder) Prune(live func(app string, release int) bool) {
	r.apps.Range(func(_, v any) bool {
		v.(*App).prune(func(rel int) bool { return rel == 0 || live(v.(*App).name, rel) })
		return true
	})
}

// Observe records one answered request that started at start and was
// answered by release (0: by none).
func (a *App) Observe(release, status int, bytes int64, start time.Time) {
	end := a.now()
	d := end.Sub(start)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	s := a.release(release)
	s.classes[class].Inc()
	a.bytesOut.Add(float64(bytes))
	s.latency.Observe(d.Seconds())
	a.ring.observe(end, d, status >= 500, release)
}

// Denied records a request refused by the deny list. It is counted as a 4xx
// answer of no release but kept out of the window: refused traffic is no
// load to scale for.
func (a *App) Denied() {
	a.denied.Inc()
	a.release(0).classes[4].Inc()
}

// Retried records an attempt repeated on another endpoint.
func (a *App) Retried() { a.retries.Inc() }

func (a *App) release(rel int) *releaseSeries {
	if s, ok := (*a.releases.Load())[rel]; ok {
		return s
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := *a.releases.Load()
	if s, ok := old[rel]; ok {
		return s
	}
	label := strconv.Itoa(rel)
	s := &releaseSeries{latency: a.metrics.latency.WithLabelValues(a.name, label)}
	for c, l := range classLabels {
		s.classes[c] = a.metrics.requests.WithLabelValues(a.name, label, l)
	}
	next := make(map[int]*releaseSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[rel] = s
	a.releases.Store(&next)
	return s
}

func (a *App) prune(keep func(release int) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := *a.releases.Load()
	gone := false
	for rel := range old {
		gone = gone || !keep(rel)
	}
	if !gone {
		return
	}
	next := make(map[int]*releaseSeries, len(old))
	for rel, s := range old {
		if keep(rel) {
			next[rel] = s
			continue
		}
		label := strconv.Itoa(rel)
		a.metrics.latency.DeleteLabelValues(a.name, label)
		for _, l := range classLabels {
			a.metrics.requests.DeleteLabelValues(a.name, label, l)
		}
	}
	a.releases.Store(&next)
}
