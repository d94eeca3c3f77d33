package webhooks

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Config tunes delivery. Zero values take the defaults.
type Config struct {
	// NATSURL is dialled for the Watermill subscriber's own connection:
	// watermill-nats' jetstream Subscriber drains its connection on
	// Close, so it must not share the server's.
	NATSURL string
	// NATSOptions authenticate that connection (the bus is closed).
	NATSOptions []nats.Option
	// Timeout bounds one request, answer included (10s).
	Timeout time.Duration
	// RetryPeriod is how long a receiver may keep failing before the
	// events it fails are dead-lettered (24h).
	RetryPeriod time.Duration
	// FailingAfter is how long a receiver fails before it is marked
	// failing with an event (1m).
	FailingAfter time.Duration
	// AckWait is the consumers' ack deadline: an event a crashed server
	// held is redelivered after it (60s). In-process retries stay well
	// inside it; longer waits are naks with a delay, in the stream.
	AckWait time.Duration
	// RetryInitial and RetryMax bound the backoff between attempts (1s,
	// 10m); the first few are in process (Watermill's retry middleware),
	// later ones are delayed redeliveries.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// InProcessRetries is how many quick retries happen before the event
	// goes back to the stream with a delay (3).
	InProcessRetries int
	// MaxResponseBody is how much of an answer is read and kept (4 KiB).
	MaxResponseBody int64
	// AllowPrivate allows receivers on loopback and private addresses
	// and plain http (berth dev, tests).
	AllowPrivate bool
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.RetryPeriod, 24*time.Hour)
	def(&c.FailingAfter, time.Minute)
	def(&c.AckWait, 60*time.Second)
	def(&c.RetryInitial, time.Second)
	def(&c.RetryMax, 10*time.Minute)
	if c.InProcessRetries == 0 {
		c.InProcessRetries = 3
	}
	if c.MaxResponseBody == 0 {
		c.MaxResponseBody = 4 << 10
	}
}

// inProcessBudget is the most the in-process retries may take, so that a
// message is settled well before its ack deadline.
func (c Config) inProcessBudget() time.Duration { return c.AckWait / 2 }

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.NATSURL == "" {
		errs = append(errs, errors.New("NATS URL is required"))
	}
	for name, d := range map[string]time.Duration{"timeout": c.Timeout, "retry period": c.RetryPeriod,
		"failing after": c.FailingAfter, "ack wait": c.AckWait, "retry initial": c.RetryInitial, "retry max": c.RetryMax} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s %s: must be positive", name, d))
		}
	}
	if c.Timeout > 0 && c.AckWait > 0 && c.Timeout*2 >= c.AckWait {
		errs = append(errs, fmt.Errorf("ack wait %s: must be more than twice the timeout %s", c.AckWait, c.Timeout))
	}
	if c.RetryInitial > c.RetryMax {
		errs = append(errs, fmt.Errorf("retry initial %s is above retry max %s", c.RetryInitial, c.RetryMax))
	}
	if c.InProcessRetries < 0 {
		errs = append(errs, fmt.Errorf("in-process retries %d: must not be negative", c.InProcessRetries))
	}
	if c.MaxResponseBody < 0 {
		errs = append(errs, fmt.Errorf("max response body %d: must not be negative", c.MaxResponseBody))
	}
	return errors.Join(errs...)
}
