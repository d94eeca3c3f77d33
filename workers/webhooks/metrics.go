package webhooks

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are per-hook delivery counters and latency.
type metrics struct {
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_hook_deliveries_total",
			Help: "Webhook delivery attempts by hook and outcome (delivered, failed, rejected).",
		}, []string{"hook", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "berth_hook_delivery_seconds",
			Help:    "Time from sending a webhook request to its answer, by hook.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
		}, []string{"hook"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.deliveries, m.latency} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(hook string, a attempt) {
	outcome := outcomeFailed
	switch {
	case a.ok():
		outcome = outcomeDelivered
	case a.permanent():
		outcome = "rejected"
	}
	m.deliveries.WithLabelValues(hook, outcome).Inc()
	if a.status != 0 {
		m.latency.WithLabelValues(hook).Observe(a.latency / 1000)
	}
}
