package hostwatch

import (
	"errors"
	"log/slog"
	"time"
)

// Source is the CloudEvents source of the HostLost events this worker
// appends.
const Source = "hostwatch"

// Config tunes the watcher.
type Config struct {
	// Timeout is how long a host may go without a heartbeat (or, before
	// its first, since it registered) before it is lost, in the bus's time.
	Timeout time.Duration
	// StartGrace is how long the watcher must have watched heartbeats
	// undisturbed, after it (re)started or its view was disrupted, before
	// it declares anyone lost: silence before that may be heartbeats not
	// read yet. Defaults to Timeout.
	StartGrace time.Duration
	// MassSilence is the share of hosts (not lost yet) at or above which,
	// when that many fall silent together, none is declared lost and a
	// HostLossHeld says why. Default 0.55, as Kubernetes'
	// --unhealthy-zone-threshold.
	MassSilence float64
	// Stall is how long the heartbeat watch may deliver nothing before it
	// is started over to check it did not silently stall (a replica or
	// the server it read from gone). Defaults to Timeout/2.
	Stall time.Duration
	// Check is how often hosts are checked.
	Check  time.Duration
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.StartGrace == 0 {
		c.StartGrace = c.Timeout
	}
	if c.MassSilence == 0 {
		c.MassSilence = 0.55
	}
	if c.Stall == 0 {
		c.Stall = c.Timeout / 2
	}
	if c.Check == 0 {
		c.Check = min(max(c.Timeout/10, 100*time.Millisecond), c.Timeout)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout must not be negative"))
	}
	if c.StartGrace < 0 {
		errs = append(errs, errors.New("start grace must not be negative"))
	}
	if c.MassSilence < 0 || c.MassSilence > 1 {
		errs = append(errs, errors.New("mass silence must be a share between 0 and 1"))
	}
	if c.Stall < 0 {
		errs = append(errs, errors.New("stall must not be negative"))
	}
	if c.Timeout > 0 && c.Stall > c.Timeout {
		errs = append(errs, errors.New("stall must not exceed the timeout: a stalled watch would pass for silence"))
	}
	if c.Check < 0 {
		errs = append(errs, errors.New("check interval must not be negative"))
	}
	if c.Timeout > 0 && c.Check > c.Timeout {
		errs = append(errs, errors.New("check interval must not exceed the timeout"))
	}
	return errors.Join(errs...)
}

func (c Config) rules() Rules {
	return Rules{Timeout: c.Timeout, Grace: c.StartGrace, MassSilence: c.MassSilence}
}
