package registration

import (
	"errors"
	"log/slog"
	"time"
)

// Source is the CloudEvents source of the commands this worker sends.
const Source = "registration-worker"

// Config tunes the worker.
type Config struct {
	// Resync re-reads both buckets this often and repairs any drift
	// (someone else's writes, a write that failed). Changes are normally
	// applied as their events arrive.
	Resync time.Duration
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Resync == 0 {
		c.Resync = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Resync < 0 {
		errs = append(errs, errors.New("resync must not be negative"))
	}
	return errors.Join(errs...)
}
