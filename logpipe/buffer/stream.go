package buffer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig sizes the buffer. Zero values take the defaults noted.
type StreamConfig struct {
	// MaxAge drops records older than this, indexed or not; default 72h.
	MaxAge time.Duration
	// MaxBytes caps the stream, dropping the oldest records first; default
	// 1 GiB, -1 for no cap.
	MaxBytes int64
	// Replicas of the stream in a cluster; default 1.
	Replicas int
	// DuplicateWindow is how long a record ID is remembered, so a batch
	// published again after a lost acknowledgement is stored once; default 2m.
	DuplicateWindow time.Duration
}

func (c *StreamConfig) setDefaults() {
	if c.MaxAge == 0 {
		c.MaxAge = 72 * time.Hour
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 1 << 30
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
}

// Validate reports every problem with c at once.
func (c StreamConfig) Validate() error {
	var errs []error
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max age %v is negative", c.MaxAge))
	}
	if c.MaxBytes < -1 {
		errs = append(errs, fmt.Errorf("max bytes %d below -1", c.MaxBytes))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas %d outside 1..5", c.Replicas))
	}
	if c.DuplicateWindow < 0 || (c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge) {
		errs = append(errs, fmt.Errorf("duplicate window %v outside 0..max age", c.DuplicateWindow))
	}
	return errors.Join(errs...)
}

// EnsureStream creates the BERTH_LOGS stream, or updates its limits to cfg.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("log stream config: %w", err)
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Container log records between syslog intake and indexing",
		Subjects:    []string{AllSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    cfg.MaxBytes,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	return s, nil
}
