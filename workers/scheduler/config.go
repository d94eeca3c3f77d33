package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Source is the CloudEvents source the scheduler's command handler should
// append as.
const Source = "scheduler"

// maxAtomicBatch is JetStream's default limit on messages in one atomic
// batch publish; a decision is appended as one batch.
const maxAtomicBatch = 1000

// Config tunes the scheduler.
type Config struct {
	// Resync reconsiders every app and collects stale port claims this
	// often, in case a change was missed; changes are normally acted on as
	// their events arrive.
	Resync time.Duration
	// ClaimGrace is how long a port claim may exist without its instance in
	// the event stream before it is collected: a claim is made just before
	// the decision that places the instance is appended.
	ClaimGrace time.Duration
	// MaxEvents caps the events of one decision (one atomic append); a
	// larger change is made in several decisions. At most JetStream's
	// atomic batch limit (1,000 unless the server lowers it). Bigger is
	// faster: on a file-backed stream each batch is staged in a file store
	// of its own, a fixed cost of milliseconds per decision.
	MaxEvents int
	// ClaimConcurrency bounds the port claims in flight at once.
	ClaimConcurrency int
	// RetryAfter is how long an app whose reconcile failed waits before the
	// next try (besides the periodic resync).
	RetryAfter time.Duration
	Logger     *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Resync == 0 {
		c.Resync = 30 * time.Second
	}
	if c.ClaimGrace == 0 {
		c.ClaimGrace = 2 * time.Minute
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = maxAtomicBatch
	}
	if c.ClaimConcurrency == 0 {
		c.ClaimConcurrency = 32
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Second
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
	if c.ClaimGrace < 0 {
		errs = append(errs, errors.New("claim grace must not be negative"))
	}
	if c.MaxEvents < 0 || c.MaxEvents == 1 || c.MaxEvents > maxAtomicBatch {
		errs = append(errs, fmt.Errorf("max events %d is not within 2-%d", c.MaxEvents, maxAtomicBatch))
	}
	if c.ClaimConcurrency < 0 {
		errs = append(errs, errors.New("claim concurrency must not be negative"))
	}
	if c.RetryAfter < 0 {
		errs = append(errs, errors.New("retry after must not be negative"))
	}
	return errors.Join(errs...)
}
