package events

// Spec is an app's desired shape, as deployed. It is carried whole by
// AppDeployed so that a reader of one event knows everything.
type Spec struct {
	Image            string            `json:"image"`
	Replicas         int               `json:"replicas"`
	Port             int               `json:"port"`
	Env              map[string]string `json:"env,omitempty"`
	MemoryBytes      int64             `json:"memory_bytes,omitempty"`
	CPUs             float64           `json:"cpus,omitempty"`
	HealthPath       string            `json:"health_path"`
	HealthIntervalMS int64             `json:"health_interval_ms"`
	HealthTimeoutMS  int64             `json:"health_timeout_ms"`
	HealthThreshold  int               `json:"health_threshold"`
	Constraints      map[string]string `json:"constraints,omitempty"`
	MaxPerHost       int               `json:"max_per_host,omitempty"`
	Security         Security          `json:"security,omitzero"`
	// Project groups apps for access control; "" is the default project.
	Project string `json:"project,omitempty"`
}

// AppDeployed: an app was created or its spec replaced. Version counts
// deploys; instances of an older version are replaced.
type AppDeployed struct {
	App     string `json:"app"`
	Version int    `json:"version"`
	Spec
}

// AppScaled: the desired replica count changed.
type AppScaled struct {
	App      string `json:"app"`
	Replicas int    `json:"replicas"`
	Previous int    `json:"previous"`
	// Cause is "manual" or "autoscale".
	Cause string `json:"cause,omitempty"`
}

// AppStopped: the app should run no instances until deployed again.
type AppStopped struct {
	App string `json:"app"`
}

// AppDomainsSet: custom domains (CNAME-style aliases) routed to the app.
type AppDomainsSet struct {
	App     string   `json:"app"`
	Domains []string `json:"domains"`
}

// AppDenyListSet: client IPs/CIDRs the gateway refuses for the app.
type AppDenyListSet struct {
	App  string   `json:"app"`
	Deny []string `json:"deny"`
}

// PlacementFailed: the scheduler could not place every wanted instance.
type PlacementFailed struct {
	App      string   `json:"app"`
	Unplaced int      `json:"unplaced"`
	Reasons  []string `json:"reasons"`
}

// AutoscalePolicySet: the app's autoscaling policy; Enabled=false removes it.
type AutoscalePolicySet struct {
	App             string  `json:"app"`
	Enabled         bool    `json:"enabled"`
	Min             int     `json:"min"`
	Max             int     `json:"max"`
	CPUHigh         float64 `json:"cpu_high,omitempty"`
	CPULow          float64 `json:"cpu_low,omitempty"`
	LatencyHighMS   float64 `json:"latency_high_ms,omitempty"`
	LatencyNormalMS float64 `json:"latency_normal_ms,omitempty"`
	ScaleInWindow   string  `json:"scale_in_window,omitempty"`
	CooldownMS      int64   `json:"cooldown_ms,omitempty"`
}

// AutoscaleInputs are the measurements a decision was made on.
type AutoscaleInputs struct {
	CPUPercent float64 `json:"cpu_percent"`
	P50MS      float64 `json:"p50_ms"`
	P95MS      float64 `json:"p95_ms"`
	RPS        float64 `json:"rps"`
	Instances  int     `json:"instances"`
}

// AutoscaleDecided: the autoscaler changed (or chose to hold) the replicas.
type AutoscaleDecided struct {
	App    string          `json:"app"`
	From   int             `json:"from"`
	To     int             `json:"to"`
	Rule   string          `json:"rule"`
	Reason string          `json:"reason"`
	Inputs AutoscaleInputs `json:"inputs"`
}

func (AppDeployed) Kind() string        { return "deployed" }
func (AppScaled) Kind() string          { return "scaled" }
func (AppStopped) Kind() string         { return "stopped" }
func (AppDomainsSet) Kind() string      { return "domains_set" }
func (AppDenyListSet) Kind() string     { return "deny_list_set" }
func (PlacementFailed) Kind() string    { return "placement_failed" }
func (AutoscalePolicySet) Kind() string { return "autoscale_policy_set" }
func (AutoscaleDecided) Kind() string   { return "autoscale_decided" }

func (e AppDeployed) Aggregate() Aggregate        { return App(e.App) }
func (e AppScaled) Aggregate() Aggregate          { return App(e.App) }
func (e AppStopped) Aggregate() Aggregate         { return App(e.App) }
func (e AppDomainsSet) Aggregate() Aggregate      { return App(e.App) }
func (e AppDenyListSet) Aggregate() Aggregate     { return App(e.App) }
func (e PlacementFailed) Aggregate() Aggregate    { return App(e.App) }
func (e AutoscalePolicySet) Aggregate() Aggregate { return App(e.App) }
func (e AutoscaleDecided) Aggregate() Aggregate   { return App(e.App) }

func init() {
	register(KindApp, func() Event { return &AppDeployed{} })
	register(KindApp, func() Event { return &AppScaled{} })
	register(KindApp, func() Event { return &AppStopped{} })
	register(KindApp, func() Event { return &AppDomainsSet{} })
	register(KindApp, func() Event { return &AppDenyListSet{} })
	register(KindApp, func() Event { return &PlacementFailed{} })
	register(KindApp, func() Event { return &AutoscalePolicySet{} })
	register(KindApp, func() Event { return &AutoscaleDecided{} })
}
