package events

// Releases and rollouts. Every deploy that changes the spec creates release
// N (AppDeployed.Version) with its full spec; a rollout moves the app from
// the release that served it to release N, step by step, and always ends in
// exactly one terminal event: RolloutSucceeded, RolloutRolledBack,
// RolloutFailed or RolloutSuperseded.

// Rollout strategies.
const (
	StrategyRolling = "rolling"
	StrategyCanary  = "canary"
)

// RolloutSpec is how a release is rolled out, resolved with every default
// when the command is decided, so that a reader of the event needs nothing
// else.
type RolloutSpec struct {
	Strategy string `json:"strategy"`
	// MaxSurge and MaxUnavailable are a count ("1") or a share of the
	// replicas ("25%"), resolved against the replicas of the moment.
	MaxSurge       string `json:"max_surge"`
	MaxUnavailable string `json:"max_unavailable"`
	// MinHealthyMS: a new instance counts once healthy this long.
	MinHealthyMS int64 `json:"min_healthy_ms"`
	// ProgressDeadlineMS bounds the whole rollout.
	ProgressDeadlineMS int64 `json:"progress_deadline_ms"`
	AutoRollback       bool  `json:"auto_rollback"`
	// MaxFailures: this many failed instances (health or exit) of the new
	// release end the rollout.
	MaxFailures int `json:"max_failures"`
	// Canary: traffic weights in percent, one step each, the last 100.
	CanarySteps      []int `json:"canary_steps,omitempty"`
	CanaryIntervalMS int64 `json:"canary_interval_ms,omitempty"`
	// MaxErrorRate is the highest share of 5xx answers (0.01 = 1%) and
	// MaxP99MS the highest p99 latency (0: not judged) a canary may show
	// in an interval; MinRequests is the least traffic an interval needs
	// to be judged at all.
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
	MaxP99MS     float64 `json:"max_p99_ms,omitempty"`
	MinRequests  int64   `json:"min_requests,omitempty"`
}

// RolloutInputs are the measurements a rollout step was decided on.
type RolloutInputs struct {
	// Desired is the app's replicas; Healthy and Available count the new
	// release's instances that are healthy / healthy for MinHealthy.
	Desired   int `json:"desired"`
	Healthy   int `json:"healthy"`
	Available int `json:"available"`
	// OldLive counts the live instances of every other release.
	OldLive  int `json:"old_live"`
	Failures int `json:"failures"`
	// Canary traffic of the new release in the judged interval.
	Requests  int64    `json:"requests,omitempty"`
	Errors    int64    `json:"errors,omitempty"`
	ErrorRate float64  `json:"error_rate,omitempty"`
	P99MS     float64  `json:"p99_ms,omitempty"`
	Instances []string `json:"instances,omitempty"`
}

// RolloutStarted: release Release is to replace release From (0: none).
// Rollback is set when the rollout puts an earlier release back.
type RolloutStarted struct {
	App      string      `json:"app"`
	Release  int         `json:"release"`
	From     int         `json:"from"`
	Rollback bool        `json:"rollback,omitempty"`
	Spec     RolloutSpec `json:"spec"`
	Reason   string      `json:"reason"`
}

// RolloutStepped: the rollout moved on. Rolling: KeepOld old instances are
// kept (the new release gets the rest of replicas + surge). Canary: the new
// release gets Weight percent of the traffic.
type RolloutStepped struct {
	App     string        `json:"app"`
	Release int           `json:"release"`
	Step    int           `json:"step"`
	Weight  int           `json:"weight"`
	KeepOld int           `json:"keep_old"`
	Reason  string        `json:"reason"`
	Inputs  RolloutInputs `json:"inputs"`
}

// RolloutPaused / RolloutResumed: a person held the rollout / let it go on.
type RolloutPaused struct {
	App     string `json:"app"`
	Release int    `json:"release"`
	Reason  string `json:"reason"`
}

type RolloutResumed struct {
	App     string `json:"app"`
	Release int    `json:"release"`
	Reason  string `json:"reason"`
}

// RolloutSucceeded: every instance serves the new release.
type RolloutSucceeded struct {
	App     string        `json:"app"`
	Release int           `json:"release"`
	Reason  string        `json:"reason"`
	Inputs  RolloutInputs `json:"inputs"`
}

// RolloutRolledBack: the new release was judged bad (or a person aborted
// it); release To serves again. Its instances were kept, so no start is
// needed when they still run.
type RolloutRolledBack struct {
	App     string        `json:"app"`
	Release int           `json:"release"`
	To      int           `json:"to"`
	Reason  string        `json:"reason"`
	Inputs  RolloutInputs `json:"inputs"`
}

// RolloutFailed: the rollout could not finish and auto-rollback is off; the
// app keeps the instances it has.
type RolloutFailed struct {
	App     string        `json:"app"`
	Release int           `json:"release"`
	Reason  string        `json:"reason"`
	Inputs  RolloutInputs `json:"inputs"`
}

// RolloutSuperseded: a newer deploy (release By) or a rollback replaced the
// rollout before it ended; By is 0 when the app was stopped.
type RolloutSuperseded struct {
	App     string `json:"app"`
	Release int    `json:"release"`
	By      int    `json:"by"`
}

func (RolloutStarted) Kind() string    { return "rollout_started" }
func (RolloutStepped) Kind() string    { return "rollout_stepped" }
func (RolloutPaused) Kind() string     { return "rollout_paused" }
func (RolloutResumed) Kind() string    { return "rollout_resumed" }
func (RolloutSucceeded) Kind() string  { return "rollout_succeeded" }
func (RolloutRolledBack) Kind() string { return "rollout_rolled_back" }
func (RolloutFailed) Kind() string     { return "rollout_failed" }
func (RolloutSuperseded) Kind() string { return "rollout_superseded" }

func (e RolloutStarted) Aggregate() Aggregate    { return App(e.App) }
func (e RolloutStepped) Aggregate() Aggregate    { return App(e.App) }
func (e RolloutPaused) Aggregate() Aggregate     { return App(e.App) }
func (e RolloutResumed) Aggregate() Aggregate    { return App(e.App) }
func (e RolloutSucceeded) Aggregate() Aggregate  { return App(e.App) }
func (e RolloutRolledBack) Aggregate() Aggregate { return App(e.App) }
func (e RolloutFailed) Aggregate() Aggregate     { return App(e.App) }
func (e RolloutSuperseded) Aggregate() Aggregate { return App(e.App) }

func init() {
	register(KindApp, func() Event { return &RolloutStarted{} })
	register(KindApp, func() Event { return &RolloutStepped{} })
	register(KindApp, func() Event { return &RolloutPaused{} })
	register(KindApp, func() Event { return &RolloutResumed{} })
	register(KindApp, func() Event { return &RolloutSucceeded{} })
	register(KindApp, func() Event { return &RolloutRolledBack{} })
	register(KindApp, func() Event { return &RolloutFailed{} })
	register(KindApp, func() Event { return &RolloutSuperseded{} })
}
