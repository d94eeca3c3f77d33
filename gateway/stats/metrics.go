package stats

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus series, labelled by app, and the
// request counter and latency histogram also by release.
type Metrics struct {
	requests  *prometheus.CounterVec
	bytesOut  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	denied    *prometheus.CounterVec
	retries   *prometheus.CounterVec
	unrouted  prometheus.Counter
	endpoints *prometheus.GaugeVec
}

// latencyBuckets span a sub-millisecond cache hit to a slow multi-second
// request.
var latencyBuckets = []float64{
	.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30,
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_gateway_requests_total",
			Help: "Requests answered for an app, by release (0: none, e.g. refused or without instance) and status class (1xx..5xx).",
		}, []string{"app", "release", "class"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_gateway_response_bytes_total",
			Help: "Response body bytes sent to clients for an app.",
		}, []string{"app"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "berth_gateway_request_duration_seconds",
			Help:    "Time from request arrival to the end of the response, for an app, by release.",
			Buckets: latencyBuckets,
		}, []string{"app", "release"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_gateway_denied_requests_total",
			Help: "Requests refused by an app's deny list.",
		}, []string{"app"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_gateway_upstream_retries_total",
			Help: "Upstream attempts repeated on another endpoint after a failed connection.",
		}, []string{"app"}),
		unrouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "berth_gateway_unrouted_requests_total",
			Help: "Requests for a host no app serves.",
		}),
		endpoints: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "berth_gateway_endpoints",
			Help: "Endpoints in the routing table, by app.",
		}, []string{"app"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.bytesOut, m.latency, m.denied, m.retries, m.unrouted, m.endpoints} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register gateway metrics: %w", err)
		}
	}
	return m, nil
}

// Unrouted counts a request for an unknown host.
func (m *Metrics) Unrouted() { m.unrouted.Inc() }

// SetEndpoints replaces the per-app endpoint gauges.
func (m *Metrics) SetEndpoints(counts map[string]int) {
	m.endpoints.Reset()
	for app, n := range counts {
		m.endpoints.WithLabelValues(app).Set(float64(n))
	}
}
