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
	// its first, since it registered) before it is lost.
	Timeout time.Duration
	// StartGrace is how long after the heartbeat watch (re)starts no host
	// is declared lost, so that a restarted server does not declare
	// everyone lost before their next heartbeat arrives. Defaults to
	// Timeout.
	StartGrace time.Duration
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
	if c.Check < 0 {
		errs = append(errs, errors.New("check interval must not be negative"))
	}
	if c.Timeout > 0 && c.Check > c.Timeout {
		errs = append(errs, errors.New("check interval must not exceed the timeout"))
	}
	return errors.Join(errs...)
}
