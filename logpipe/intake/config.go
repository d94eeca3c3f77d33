package intake

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultAddr is where intake listens, on both UDP and TCP.
const DefaultAddr = "127.0.0.1:5514"

// Config configures a Server. Zero values take the defaults noted.
type Config struct {
	// TCPAddr and UDPAddr to listen on; empty means DefaultAddr.
	TCPAddr string
	UDPAddr string
	// DisableTCP and DisableUDP turn a listener off.
	DisableTCP bool
	DisableUDP bool
	// MaxMessageBytes truncates longer messages; default 64 KiB.
	MaxMessageBytes int
	// MaxQueueBytes bounds the records held between receipt and the sink's
	// acknowledgement; default 32 MiB. When it is reached TCP connections
	// stop being read (the senders block) and UDP messages are dropped.
	MaxQueueBytes int64
	// BatchSize and BatchWait: a batch goes to the sink when it holds
	// BatchSize records or its first record has waited BatchWait; defaults
	// 512 and 20ms.
	BatchSize int
	BatchWait time.Duration
	// Flushers is how many batches may be in the sink at once; default 2.
	// Records of one connection may then reach the sink out of order;
	// their time and ID still order them.
	Flushers int
	// MaxConns bounds concurrent TCP connections; default 4096.
	MaxConns int
	// IdleTimeout closes TCP connections that sent nothing for this long
	// while more than IdleAbove are open (0: never). Docker's syslog
	// driver redials on its next line, but may lose that line, so a
	// host's usual connections (one per container) are left alone.
	IdleTimeout time.Duration
	IdleAbove   int
	// DrainTimeout bounds the flush of queued records at shutdown;
	// default 10s. What is left then is dropped and counted.
	DrainTimeout time.Duration
	// Location of RFC 3164 timestamps, which carry no zone; nil is local.
	Location *time.Location
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.TCPAddr == "" {
		c.TCPAddr = DefaultAddr
	}
	if c.UDPAddr == "" {
		c.UDPAddr = DefaultAddr
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 64 << 10
	}
	if c.MaxQueueBytes == 0 {
		c.MaxQueueBytes = 32 << 20
	}
	if c.BatchSize == 0 {
		c.BatchSize = 512
	}
	if c.BatchWait == 0 {
		c.BatchWait = 20 * time.Millisecond
	}
	if c.Flushers == 0 {
		c.Flushers = 2
	}
	if c.MaxConns == 0 {
		c.MaxConns = 4096
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// minMessageBytes keeps room for a syslog header.
const minMessageBytes = 256

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.DisableTCP && c.DisableUDP {
		errs = append(errs, errors.New("both TCP and UDP are disabled"))
	}
	if c.MaxMessageBytes < minMessageBytes {
		errs = append(errs, fmt.Errorf("max message bytes %d below %d", c.MaxMessageBytes, minMessageBytes))
	}
	// A record holds its message twice at worst (Message and Raw).
	if c.MaxQueueBytes < 4*int64(c.MaxMessageBytes) {
		errs = append(errs, fmt.Errorf("max queue bytes %d below 4 messages of %d", c.MaxQueueBytes, c.MaxMessageBytes))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size %d below 1", c.BatchSize))
	}
	if c.BatchWait < 0 || c.DrainTimeout < 0 {
		errs = append(errs, errors.New("negative batch wait or drain timeout"))
	}
	if c.Flushers < 1 || c.MaxConns < 1 {
		errs = append(errs, fmt.Errorf("flushers %d and max conns %d must be positive", c.Flushers, c.MaxConns))
	}
	return errors.Join(errs...)
}
