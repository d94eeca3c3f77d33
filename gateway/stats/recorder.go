package stats

import (
	"sync"
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
	classes  [6]prometheus.Counter // index status/100; 0 = anything odd
	bytesOut prometheus.Counter
	latency  prometheus.Observer
	denied   prometheus.Counter
	retries  prometheus.Counter
	ring     *ring
	now      func() time.Time
}

// App returns the series of the named app.
func (r *Recorder) App(name string) *App {
	if v, ok := r.apps.Load(name); ok {
		return v.(*App)
	}
	m := r.metrics
	a := &App{
		name:     name,
		bytesOut: m.bytesOut.WithLabelValues(name),
		latency:  m.latency.WithLabelValues(name),
		denied:   m.denied.WithLabelValues(name),
		retries:  m.retries.WithLabelValues(name),
		ring:     r.window.ring(name),
		now:      r.window.now,
	}
	a.classes[0] = m.requests.WithLabelValues(name, "other")
	for c := 1; c <= 5; c++ {
		a.classes[c] = m.requests.WithLabelValues(name, string(rune('0'+c))+"xx")
	}
	v, _ := r.apps.LoadOrStore(name, a)
	return v.(*App)
}

// Observe records one answered request that started at start.
func (a *App) Observe(status int, bytes int64, start time.Time) {
	end := a.now()
	d := end.Sub(start)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	a.classes[class].Inc()
	a.bytesOut.Add(float64(bytes))
	a.latency.Observe(d.Seconds())
	a.ring.observe(end, d, status >= 500)
}

// Denied records a request refused by the deny list. It is counted as a 4xx
// answer but kept out of the window: refused traffic is no load to scale for.
func (a *App) Denied() {
	a.denied.Inc()
	a.classes[4].Inc()
}

// Retried records an attempt repeated on another endpoint.
func (a *App) Retried() { a.retries.Inc() }
