package events

import "time"

// HostRegistered: an agent announced its host and capacity. Re-sent when
// any of it changes or the host comes back after being lost.
type HostRegistered struct {
	Host        string            `json:"host"`
	Addr        string            `json:"addr"`
	Zone        string            `json:"zone,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	CPUs        float64           `json:"cpus"`
	MemoryBytes int64             `json:"memory_bytes"`
	PortMin     int               `json:"port_min"`
	PortMax     int               `json:"port_max"`
}

// HostLost: the host's heartbeats stopped; its instances are replaced.
type HostLost struct {
	Host     string    `json:"host"`
	LastSeen time.Time `json:"last_seen"`
}

func (HostRegistered) Kind() string { return "registered" }
func (HostLost) Kind() string       { return "lost" }

func (e HostRegistered) Aggregate() Aggregate { return Host(e.Host) }
func (e HostLost) Aggregate() Aggregate       { return Host(e.Host) }

func init() {
	register(KindHost, func() Event { return &HostRegistered{} })
	register(KindHost, func() Event { return &HostLost{} })
}
