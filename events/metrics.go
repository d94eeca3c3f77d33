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
}

// Heartbeat is what an agent writes to BucketHeartbeats every few seconds.
type Heartbeat struct {
	Host       string    `json:"host"`
	Addr       string    `json:"addr"`
	Time       time.Time `json:"time"`
	Containers int       `json:"containers"`
}
