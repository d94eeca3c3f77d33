package projections

import (
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// Config says where events come from and where read models go.
type Config struct {
	// DatabaseURL is the Postgres DSN holding the read models (schema from
	// package migrations, applied beforehand).
	DatabaseURL string
	// NATS carries the consumers' fetches and acks, and manages them.
	NATS *nats.Conn
	// AckWait is how long JetStream waits for a projector to settle an
	// event before redelivering it; also what a restart after a crash may
	// wait for the events that were in flight. Default 10s.
	AckWait time.Duration
	// BatchSize is the most events a projector applies in one
	// transaction. Default 256.
	BatchSize int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.AckWait == 0 {
		c.AckWait = 10 * time.Second
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("database url is required"))
	}
	if c.NATS == nil {
		errs = append(errs, errors.New("nats connection is required"))
	}
	if c.AckWait < 0 {
		errs = append(errs, errors.New("ack wait must not be negative"))
	} else if c.AckWait > 0 && c.AckWait < 500*time.Millisecond {
		errs = append(errs, errors.New("ack wait must be at least 500ms"))
	}
	if c.BatchSize < 0 {
		errs = append(errs, errors.New("batch size must not be negative"))
	}
	return errors.Join(errs...)
}
