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
// The fields after LastSeen are the judge's evidence (absent on events
// recorded before they existed).
type HostLost struct {
	Host     string    `json:"host"`
	LastSeen time.Time `json:"last_seen"`
	// Judged is the bus's time when the host was declared lost; LastSeen
	// is in the same time base (the heartbeat bucket's timestamps).
	Judged time.Time `json:"judged,omitzero"`
	// ObservedSince is when the judge's current undisturbed view of the
	// heartbeats began (bus time): it saw the silence for all of it.
	ObservedSince time.Time `json:"observed_since,omitzero"`
	// HeartbeatRevision is the revision of the host's last heartbeat, as
	// the heartbeat bucket's leader answered just before the decision.
	HeartbeatRevision uint64 `json:"heartbeat_revision,omitempty"`
	// Silent of Hosts (those not lost) were silent at the time.
	Silent int `json:"silent,omitempty"`
	Hosts  int `json:"hosts,omitempty"`
}

// HostLossHeld: the host is silent, but so are too many others at once
// for silence to be evidence of its loss (the bus, or the judge's view of
// it, is the likelier cause); it is not declared lost. Recorded once per
// silence (per LastSeen).
type HostLossHeld struct {
	Host     string    `json:"host"`
	LastSeen time.Time `json:"last_seen"`
	Judged   time.Time `json:"judged"`
	Silent   int       `json:"silent"`
	Hosts    int       `json:"hosts"`
	// Threshold is the share of silent hosts at or above which none is
	// declared lost.
	Threshold float64 `json:"threshold"`
	Reason    string  `json:"reason"`
}

func (HostRegistered) Kind() string { return "registered" }
func (HostLost) Kind() string       { return "lost" }
func (HostLossHeld) Kind() string   { return "loss_held" }

func (e HostRegistered) Aggregate() Aggregate { return Host(e.Host) }
func (e HostLost) Aggregate() Aggregate       { return Host(e.Host) }
func (e HostLossHeld) Aggregate() Aggregate   { return Host(e.Host) }

func init() {
	register(KindHost, func() Event { return &HostRegistered{} })
	register(KindHost, func() Event { return &HostLost{} })
	register(KindHost, func() Event { return &HostLossHeld{} })
}
