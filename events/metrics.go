package events

import "time"

// Metrics travel on core NATS, not JetStream: they are ephemeral samples,
// worthless once stale, and must not grow the event log.

// InstanceMetricsSubject is where agents publish samples of an app's
// instances: berth.metrics.instance.<app>.
func InstanceMetricsSubject(app string) string { return MetricsSubjectPrefix + ".instance." + app }

// GatewayMetricsSubject is where gateways publish an app's traffic
// summary: berth.metrics.gateway.<app>.
func GatewayMetricsSubject(app string) string { return MetricsSubjectPrefix + ".gateway." + app }

// InstanceSample is one agent's reading of one container.
type InstanceSample struct {
	App        string    `json:"app"`
	Instance   string    `json:"instance"`
	Host       string    `json:"host"`
	CPUPercent float64   `json:"cpu_percent"`
	MemBytes   uint64    `json:"mem_bytes"`
	Time       time.Time `json:"time"`
}

// GatewaySample is one gateway's summary of an app's traffic over Window.
type GatewaySample struct {
	App      string    `json:"app"`
	Gateway  string    `json:"gateway"`
	Requests int64     `json:"requests"`
	RPS      float64   `json:"rps"`
	P50MS    float64   `json:"p50_ms"`
	P95MS    float64   `json:"p95_ms"`
	WindowMS int64     `json:"window_ms"`
	Time     time.Time `json:"time"`
	// Releases is the traffic per release of the app since this gateway's
	// previous sample (PeriodMS): periods never overlap, so a reader sums
	// them over any interval it judges.
	Releases []ReleaseTraffic `json:"releases,omitempty"`
	PeriodMS int64            `json:"period_ms,omitempty"`
}

// ReleaseTraffic is what one gateway saw of one release in one period.
// Errors counts 5xx answers, the gateway's own 502/503/504 included.
// Latency counts answers per LatencyBoundsMS bucket (the last one is
// everything slower than the last bound), so periods and gateways merge.
type ReleaseTraffic struct {
	Release  int     `json:"release"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Latency  []int64 `json:"latency"`
}

// LatencyBoundsMS are the upper bounds of ReleaseTraffic.Latency's buckets.
// Part of the public contract: add, never change.
var LatencyBoundsMS = []float64{1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 2000, 5000, 10000}

// Quantile estimates the q-quantile (0.99 for p99) in milliseconds from
// bucket counts laid out as LatencyBoundsMS (plus the overflow bucket): the
// upper bound of the bucket it falls in, 0 when there are no counts.
func Quantile(latency []int64, q float64) float64 {
	var total int64
	for _, n := range latency {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, n := range latency {
		seen += n
		if seen >= rank {
			if i < len(LatencyBoundsMS) {
				return LatencyBoundsMS[i]
			}
			break
		}
	}
	return 2 * LatencyBoundsMS[len(LatencyBoundsMS)-1]
}

// Heartbeat is what an agent writes to BucketHeartbeats every few seconds.
type Heartbeat struct {
	Host       string    `json:"host"`
	Addr       string    `json:"addr"`
	Time       time.Time `json:"time"`
	Containers int       `json:"containers"`
}
