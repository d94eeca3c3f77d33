package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/berth-dev/berth/gateway/stats"
)

// Defaults applied to zero Config fields.
const (
	DefaultListen                = ":8080"
	DefaultAdminListen           = "127.0.0.1:9180"
	DefaultDomain                = "localhost"
	DefaultDialTimeout           = time.Second
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultEjectFor              = 2 * time.Second
	DefaultMaxIdleConnsPerHost   = 256
	DefaultReadHeaderTimeout     = 10 * time.Second
	DefaultIdleTimeout           = 90 * time.Second
	DefaultReadTimeout           = 5 * time.Minute
	DefaultBodyReadTimeout       = 10 * time.Second
	DefaultMaxConnsPerClient     = 256
	DefaultShutdownTimeout       = 10 * time.Second
)

// Config configures a Gateway. Zero fields take the defaults above.
type Config struct {
	// Listen is the user-facing address where Host routing applies.
	Listen string
	// AdminListen serves /metrics; "-" disables it.
	AdminListen string
	// Domain: "<app>.<Domain>" routes to app.
	Domain string

	// DialTimeout bounds connecting to an endpoint; keep it short, a
	// refused or silent endpoint is retried on the next one.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for an endpoint's response
	// headers once the request is sent.
	ResponseHeaderTimeout time.Duration
	// EjectFor is how long an endpoint that refused a connection is
	// skipped (unless nothing else is left).
	EjectFor            time.Duration
	MaxIdleConnsPerHost int

	// Client-side server timeouts. ReadTimeout bounds reading a whole
	// request, body included; BodyReadTimeout bounds each wait for more
	// of a body, so a trickling client is cut off long before. WriteTimeout
	// stays 0 (none) unless set, so long downloads and streams work.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	BodyReadTimeout   time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConnsPerClient caps the connections one client address holds
	// open; more are closed at accept.
	MaxConnsPerClient int
	// ShutdownTimeout bounds draining in-flight requests when Run ends.
	ShutdownTimeout time.Duration

	// StatsWindow is the span of Window snapshots.
	StatsWindow time.Duration

	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	c.Listen = cmp.Or(c.Listen, DefaultListen)
	c.AdminListen = cmp.Or(c.AdminListen, DefaultAdminListen)
	c.Domain = strings.ToLower(strings.TrimSuffix(cmp.Or(c.Domain, DefaultDomain), "."))
	c.DialTimeout = cmp.Or(c.DialTimeout, DefaultDialTimeout)
	c.ResponseHeaderTimeout = cmp.Or(c.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	c.EjectFor = cmp.Or(c.EjectFor, DefaultEjectFor)
	c.MaxIdleConnsPerHost = cmp.Or(c.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	c.ReadHeaderTimeout = cmp.Or(c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, DefaultIdleTimeout)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, DefaultReadTimeout)
	c.BodyReadTimeout = cmp.Or(c.BodyReadTimeout, DefaultBodyReadTimeout)
	c.MaxConnsPerClient = cmp.Or(c.MaxConnsPerClient, DefaultMaxConnsPerClient)
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, DefaultShutdownTimeout)
	c.StatsWindow = cmp.Or(c.StatsWindow, stats.DefaultWindow)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem with the config at once. It accepts zero
// fields, which New fills with defaults.
func (c Config) Validate() error {
	var errs []error
	if strings.ContainsAny(c.Domain, ":/ ") || strings.HasPrefix(c.Domain, ".") {
		errs = append(errs, fmt.Errorf("domain %q is not a host name", c.Domain))
	}
	if c.AdminListen != "" && c.AdminListen != "-" && c.AdminListen == c.Listen {
		errs = append(errs, fmt.Errorf("admin listen %q must differ from listen: /metrics must not be reachable by Host routing", c.AdminListen))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"dial timeout", c.DialTimeout},
		{"response header timeout", c.ResponseHeaderTimeout},
		{"eject for", c.EjectFor},
		{"read header timeout", c.ReadHeaderTimeout},
		{"read timeout", c.ReadTimeout},
		{"body read timeout", c.BodyReadTimeout},
		{"write timeout", c.WriteTimeout},
		{"idle timeout", c.IdleTimeout},
		{"shutdown timeout", c.ShutdownTimeout},
		{"stats window", c.StatsWindow},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", d.name, d.v))
		}
	}
	if c.StatsWindow > 0 && c.StatsWindow < time.Second {
		errs = append(errs, fmt.Errorf("stats window %v is under a second", c.StatsWindow))
	}
	if c.MaxConnsPerClient < 0 {
		errs = append(errs, fmt.Errorf("max conns per client %d is negative", c.MaxConnsPerClient))
	}
	if c.MaxIdleConnsPerHost < 0 {
		errs = append(errs, fmt.Errorf("max idle conns per host %d is negative", c.MaxIdleConnsPerHost))
	}
	return errors.Join(errs...)
}
