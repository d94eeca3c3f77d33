package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"runtime"
	"time"

	"github.com/berth-dev/berth/agent/dockerrt"
)

// Config describes one host and how its agent behaves.
type Config struct {
	// HostID names the host in events, Docker labels and the heartbeat bucket.
	HostID string
	// Addr is the IP other hosts reach this one on; container ports are
	// published on it too.
	Addr   string
	Zone   string
	Labels map[string]string
	// CPUs and MemoryBytes are the capacity offered to the scheduler;
	// defaults are the machine's.
	CPUs        float64
	MemoryBytes int64
	// PortMin..PortMax is the host port range the scheduler hands out.
	PortMin, PortMax int
	// SyslogAddr receives container logs (tcp://127.0.0.1:5514); empty
	// leaves the engine's default log driver.
	SyslogAddr string

	HeartbeatInterval time.Duration
	StatsInterval     time.Duration
	// StopTimeout is how long a container gets to exit after SIGTERM.
	StopTimeout time.Duration
	// Concurrency bounds how many instances are worked on at once.
	Concurrency int
	Logger      *slog.Logger
}

func (c *Config) setDefaults() {
	if c.CPUs == 0 {
		c.CPUs = float64(runtime.NumCPU())
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = machineMemory()
	}
	if c.PortMin == 0 && c.PortMax == 0 {
		c.PortMin, c.PortMax = 20000, 29999
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 2 * time.Second
	}
	if c.StatsInterval == 0 {
		// The autoscaler wants a decision within seconds of a load; one
		// sample takes about a second (Docker's CPU% needs two readings).
		c.StatsInterval = 2 * time.Second
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = 10 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// hostIDPattern keeps host ids usable as a subject token and a KV key.
var hostIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$`)

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if !hostIDPattern.MatchString(c.HostID) {
		errs = append(errs, fmt.Errorf("host id %q: want letters, digits, '-' or '_' (at most 63)", c.HostID))
	}
	if _, err := netip.ParseAddr(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want an IP address", c.Addr))
	}
	if c.CPUs <= 0 {
		errs = append(errs, errors.New("cpus must be positive"))
	}
	if c.MemoryBytes <= 0 {
		errs = append(errs, errors.New("memory bytes must be positive"))
	}
	if c.PortMin < 1 || c.PortMax > 65535 || c.PortMin > c.PortMax {
		errs = append(errs, fmt.Errorf("port range %d-%d: want 1 <= min <= max <= 65535", c.PortMin, c.PortMax))
	}
	if c.SyslogAddr != "" {
		if err := (dockerrt.SyslogLog{Address: c.SyslogAddr}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("syslog: %w", err))
		}
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"heartbeat interval", c.HeartbeatInterval}, {"stats interval", c.StatsInterval}, {"stop timeout", c.StopTimeout}} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", d.name))
		}
	}
	if c.Concurrency < 1 {
		errs = append(errs, errors.New("concurrency must be at least 1"))
	}
	return errors.Join(errs...)
}
