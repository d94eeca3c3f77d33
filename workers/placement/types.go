package placement

import (
	"errors"
	"fmt"
	"regexp"
)

// Host is a machine that runs instances. CPUs are cores (fractions allowed,
// precision one millicore); ports are handed out from [PortMin, PortMax].
type Host struct {
	ID          string
	Addr        string
	Zone        string
	Labels      map[string]string
	CPUs        float64
	MemoryBytes int64
	PortMin     int
	PortMax     int
	Lost        bool
}

// Instance is one container of an app, placed on a host.
type Instance struct {
	ID  string
	App string
	// Release is the app release the instance runs; only instances of
	// the spec's release count toward its replicas, the others of the
	// same app just hold resources.
	Release     int
	Host        string
	Port        int
	MemoryBytes int64
	CPUs        float64
	State       string
}

// Instance states. Unknown states are treated like running so that capacity
// is never double-booked because of a state this package has not heard of.
const (
	StateScheduled = "scheduled"
	StateRunning   = "running"
	StateHealthy   = "healthy"
	StateStopping  = "stopping"
	StateStopped   = "stopped"
	StateExited    = "exited"
	StateFailed    = "failed"
)

// Live reports whether the instance counts toward its app's replicas.
// Instances on lost hosts are live by state but Compute does not count them.
func (i Instance) Live() bool {
	switch i.State {
	case StateStopping, StateStopped, StateExited, StateFailed:
		return false
	}
	return true
}

// HoldsResources reports whether the instance occupies memory, CPU and its
// port: live instances, and stopping ones until their container is gone.
func (i Instance) HoldsResources() bool {
	return i.Live() || i.State == StateStopping
}

// AppSpec is what an app asks for. Zero MemoryBytes or CPUs means the app
// needs none; MaxPerHost 0 means unlimited.
type AppSpec struct {
	Name string
	// Release is the release being placed (see Instance.Release).
	Release     int
	Replicas    int
	MemoryBytes int64
	CPUs        float64
	Constraints map[string]string
	MaxPerHost  int
}

var appNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,38}[a-z0-9]$`)

// Validate reports every problem with the spec at once.
func (a AppSpec) Validate() error {
	var errs []error
	if !appNameRE.MatchString(a.Name) {
		errs = append(errs, fmt.Errorf("app name %q is not a DNS label of 2-40 characters", a.Name))
	}
	if a.Replicas < 0 {
		errs = append(errs, fmt.Errorf("replicas %d is negative", a.Replicas))
	}
	if a.MemoryBytes < 0 {
		errs = append(errs, fmt.Errorf("memory %d is negative", a.MemoryBytes))
	}
	if a.CPUs < 0 {
		errs = append(errs, fmt.Errorf("cpus %g is negative", a.CPUs))
	}
	if a.MaxPerHost < 0 {
		errs = append(errs, fmt.Errorf("max-per-host %d is negative", a.MaxPerHost))
	}
	return errors.Join(errs...)
}

// Validate reports every problem with the host at once.
func (h Host) Validate() error {
	var errs []error
	if h.ID == "" {
		errs = append(errs, errors.New("host id is empty"))
	}
	if h.CPUs < 0 {
		errs = append(errs, fmt.Errorf("host %q: cpus %g is negative", h.ID, h.CPUs))
	}
	if h.MemoryBytes < 0 {
		errs = append(errs, fmt.Errorf("host %q: memory %d is negative", h.ID, h.MemoryBytes))
	}
	if h.PortMin < 1 || h.PortMax > 65535 || h.PortMin > h.PortMax {
		errs = append(errs, fmt.Errorf("host %q: port range %d-%d is not within 1-65535", h.ID, h.PortMin, h.PortMax))
	}
	return errors.Join(errs...)
}

// Cluster is the state Compute decides from: every host and every instance
// of every app, since capacity and ports are shared.
type Cluster struct {
	Hosts     []Host
	Instances []Instance
	// ReservedPorts lists, per host ID, ports claimed outside this cluster
	// state (by plans not yet applied, or by other software).
	ReservedPorts map[string]map[int]bool
}

// Plan is what Compute decided for one app.
type Plan struct {
	Place  []Placement
	Remove []Removal
	// Unplaced is how many wanted instances found no host; Reasons says why.
	Unplaced int
	Reasons  []string
}

// Placement starts a new instance on a host.
type Placement struct {
	InstanceID string
	Host       string
	Addr       string
	Port       int
}

// Removal stops an instance.
type Removal struct {
	InstanceID string
	Host       string
	Reason     string
}

// Removal reasons.
const (
	ReasonHostLost    = "host lost"
	ReasonHostUnknown = "host unknown"
	ReasonFailed      = "instance failed"
	ReasonExited      = "instance exited"
	ReasonScaleDown   = "scale down"
)

// NoOp reports whether the plan changes nothing.
func (p Plan) NoOp() bool { return len(p.Place) == 0 && len(p.Remove) == 0 }
