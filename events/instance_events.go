package events

import "strings"

// Instance events live in their app's history: the app is the unit of
// consistency, so placing and removing instances is checked against it.

// InstanceScheduled: the scheduler placed an instance on a host. It carries
// everything the host's agent needs to run it.
type InstanceScheduled struct {
	App           string            `json:"app"`
	Instance      string            `json:"instance"`
	Version       int               `json:"version"`
	Host          string            `json:"host"`
	HostAddr      string            `json:"host_addr"`
	HostPort      int               `json:"host_port"`
	ContainerPort int               `json:"container_port"`
	Image         string            `json:"image"`
	Env           map[string]string `json:"env,omitempty"`
	MemoryBytes   int64             `json:"memory_bytes,omitempty"`
	CPUs          float64           `json:"cpus,omitempty"`
	Security      Security          `json:"security,omitzero"`
}

// InstanceUnscheduled: the scheduler decided an instance must go (scale
// down, stop, replacement). The agent stops it and reports InstanceStopped.
type InstanceUnscheduled struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Host     string `json:"host"`
	Reason   string `json:"reason"`
}

// InstanceStarted: the agent's container is running.
type InstanceStarted struct {
	App         string `json:"app"`
	Instance    string `json:"instance"`
	Host        string `json:"host"`
	ContainerID string `json:"container_id"`
}

// InstanceExited: the container ended, or could not be started (Error).
type InstanceExited struct {
	App       string `json:"app"`
	Instance  string `json:"instance"`
	Host      string `json:"host"`
	ExitCode  int    `json:"exit_code"`
	OOMKilled bool   `json:"oom_killed,omitempty"`
	Error     string `json:"error,omitempty"`
}

// PortTaken reports whether an InstanceExited's Error says the host port
// was taken by something outside Berth: the platform's failure, which the
// scheduler places around, not the release's.
func (e InstanceExited) PortTaken() bool {
	return strings.Contains(e.Error, "port is already allocated") || strings.Contains(e.Error, "address already in use")
}

// InstanceStopped: the agent removed the container after it was unscheduled.
type InstanceStopped struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Host     string `json:"host"`
}

// InstanceHealthFailed: the instance is unhealthy (health worker or an
// outside monitor); the scheduler replaces it.
type InstanceHealthFailed struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Reason   string `json:"reason"`
	// Source is "health-worker" or "api".
	Source string `json:"source"`
}

// EndpointRegistered: a started instance passed its first health check
// and takes traffic at Addr (host address:port).
type EndpointRegistered struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Host     string `json:"host"`
	Addr     string `json:"addr"`
}

// EndpointDeregistered: the instance no longer takes traffic.
type EndpointDeregistered struct {
	App      string `json:"app"`
	Instance string `json:"instance"`
	Reason   string `json:"reason"`
}

func (InstanceScheduled) Kind() string    { return "instance_scheduled" }
func (InstanceUnscheduled) Kind() string  { return "instance_unscheduled" }
func (InstanceStarted) Kind() string      { return "instance_started" }
func (InstanceExited) Kind() string       { return "instance_exited" }
func (InstanceStopped) Kind() string      { return "instance_stopped" }
func (InstanceHealthFailed) Kind() string { return "instance_health_failed" }
func (EndpointRegistered) Kind() string   { return "endpoint_registered" }
func (EndpointDeregistered) Kind() string { return "endpoint_deregistered" }

func (e InstanceScheduled) Aggregate() Aggregate    { return App(e.App) }
func (e InstanceUnscheduled) Aggregate() Aggregate  { return App(e.App) }
func (e InstanceStarted) Aggregate() Aggregate      { return App(e.App) }
func (e InstanceExited) Aggregate() Aggregate       { return App(e.App) }
func (e InstanceStopped) Aggregate() Aggregate      { return App(e.App) }
func (e InstanceHealthFailed) Aggregate() Aggregate { return App(e.App) }
func (e EndpointRegistered) Aggregate() Aggregate   { return App(e.App) }
func (e EndpointDeregistered) Aggregate() Aggregate { return App(e.App) }

func init() {
	register(KindApp, func() Event { return &InstanceScheduled{} })
	register(KindApp, func() Event { return &InstanceUnscheduled{} })
	register(KindApp, func() Event { return &InstanceStarted{} })
	register(KindApp, func() Event { return &InstanceExited{} })
	register(KindApp, func() Event { return &InstanceStopped{} })
	register(KindApp, func() Event { return &InstanceHealthFailed{} })
	register(KindApp, func() Event { return &EndpointRegistered{} })
	register(KindApp, func() Event { return &EndpointDeregistered{} })
}
