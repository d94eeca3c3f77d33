package health

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Source is the CloudEvents source of the commands this worker sends and
// the Source of the InstanceHealthFailed it decides.
const Source = "health-worker"

// Config tunes the worker. Probe interval, timeout and threshold come from
// each app's spec; these are the worker-wide limits.
type Config struct {
	// StartDeadline is how long a started instance may take to pass its
	// first check before it is reported failed.
	StartDeadline time.Duration
	// Resync re-reads the whole view this often, in case a change was
	// missed; changes are normally picked up as their events arrive.
	Resync time.Duration
	// MaxInFlight bounds the probes running at once across all instances.
	MaxInFlight int
	// Client sends the probes. It must not follow redirects (a 3xx is a
	// pass) and should not keep idle connections to hundreds of
	// instances; the default does neither.
	Client *http.Client
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.StartDeadline == 0 {
		c.StartDeadline = 60 * time.Second
	}
	if c.Resync == 0 {
		c.Resync = 5 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 64
	}
	if c.Client == nil {
		c.Client = newClient()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.StartDeadline < 0 {
		errs = append(errs, errors.New("start deadline must not be negative"))
	}
	if c.Resync < 0 {
		errs = append(errs, errors.New("resync must not be negative"))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, errors.New("max in flight must not be negative"))
	}
	return errors.Join(errs...)
}
