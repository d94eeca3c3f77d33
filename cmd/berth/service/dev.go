package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/events"

	"github.com/berth-dev/berth/projections/pgserver"
)

// DevConfig is the single-machine preset: the server with embedded NATS,
// a private PostgreSQL unless a database URL is given, and Hosts agents
// on 127.0.0.1, 127.0.0.2, ... with host ids h1, h2, ...
type DevConfig struct {
	Server ServerConfig
	Hosts  int
	// HostPrefix names the hosts <prefix>1..<prefix>N (default "h").
	HostPrefix string
	// PortBase spreads host port ranges: host i gets PortBase+i*1000 up
	// to +999 (default 20000).
	PortBase int
	// LogRelayPort is the port each host's log relay listens on, at the
	// host's address ("5514": 127.0.0.1:5514, 127.0.0.2:5514, ...); "0"
	// picks free ports; empty runs no relays, and containers then log to
	// the server's syslog intake if it has one.
	LogRelayPort string
	// ClientConfig, when set, is where the CLI's config goes (the API URL
	// and an admin token, mode 0600); without a --api-token one is made.
	ClientConfig string
}

// Validate reports every problem at once.
func (c DevConfig) Validate() error {
	var errs []error
	if c.Hosts < 0 || c.Hosts > 50 {
		errs = append(errs, fmt.Errorf("hosts %d: use 0..50", c.Hosts))
	}
	if c.LogRelayPort != "" {
		if p, err := strconv.Atoi(c.LogRelayPort); err != nil || p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("log relay port %q: want 0..65535", c.LogRelayPort))
		}
	}
	return errors.Join(errs...)
}

// Dev is a running single-machine Berth.
type Dev struct {
	*Server
	pg     *pgserver.Server
	agents []func()
	Hosts  []string
	// LogRelays are the hosts' syslog relays, in host order.
	LogRelays []string
	// ClientConfig is where the CLI's config was written, if anywhere.
	ClientConfig string
}

// StartDev starts the preset and returns once everything serves.
func StartDev(ctx context.Context, cfg DevConfig) (_ *Dev, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dev config: %w", err)
	}
	cfg.Server.setDefaults()
	cfg.Server.Hooks.AllowPrivate = true // single machine: receivers on loopback, plain http
	if cfg.HostPrefix == "" {
		cfg.HostPrefix = "h"
	}
	if cfg.PortBase == 0 {
		cfg.PortBase = 20000
	}
	d := &Dev{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if cfg.Server.DatabaseURL == "" {
		d.pg, err = pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(cfg.Server.DataDir, "postgres")})
		if err != nil {
			return nil, fmt.Errorf("start private PostgreSQL: %w", err)
		}
		cfg.Server.DatabaseURL = d.pg.DSN()
		slog.Info("private PostgreSQL started", "dsn", redact(cfg.Server.DatabaseURL), "password_file", d.pg.PasswordFile())
	}
	// Each dev host gets its own NATS key on the embedded server, made
	// afresh on every start and authorised before the server starts. On
	// an external cluster the agents use the server's credential.
	creds := credentialsDir(cfg.Server.DataDir)
	agentCreds := func(host string) string { return creds.HostSeedFile(host) }
	if cfg.Server.NATSURL != "" {
		agentCreds = func(string) string { return cfg.Server.NATSCreds }
	} else {
		for i := 1; i <= cfg.Hosts; i++ {
			if _, err := creds.AddHost(fmt.Sprintf("%s%d", cfg.HostPrefix, i)); err != nil {
				return nil, fmt.Errorf("nats key of host %d: %w", i, err)
			}
		}
	}
	if cfg.ClientConfig != "" && cfg.Server.Token == "" {
		if cfg.Server.Token, err = randomToken(); err != nil {
			return nil, err
		}
	}
	d.Server, err = StartServer(ctx, cfg.Server)
	if err != nil {
		return nil, err
	}
	if cfg.ClientConfig != "" {
		if err := writeClientConfig(cfg.ClientConfig, d.APIAddr, cfg.Server.Token); err != nil {
			return nil, err
		}
		d.ClientConfig = cfg.ClientConfig
	}
	for i := 1; i <= cfg.Hosts; i++ {
		host := fmt.Sprintf("%s%d", cfg.HostPrefix, i)
		ac := AgentConfig{
			NATSURL:   d.NATSURL,
			NATSCreds: agentCreds(host),
			NATSTLS:   cfg.Server.NATSTLS,
			HostID:    host,
			Addr:      fmt.Sprintf("127.0.0.%d", i),
			Zone:      fmt.Sprintf("zone-%c", 'a'+(i-1)%3),
			Ports:     fmt.Sprintf("%d-%d", cfg.PortBase+i*1000, cfg.PortBase+i*1000+999),
		}
		switch {
		case cfg.LogRelayPort != "":
			ac.LogRelay = net.JoinHostPort(ac.Addr, cfg.LogRelayPort)
		case d.SyslogAddr != "":
			ac.Syslog = "tcp://" + d.SyslogAddr
		}
		stop, relay, err := startAgent(ctx, ac)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", ac.HostID, err)
		}
		d.agents = append(d.agents, stop)
		d.Hosts = append(d.Hosts, ac.HostID+"@"+ac.Addr)
		if relay != "" {
			d.LogRelays = append(d.LogRelays, relay)
		}
	}
	if err := d.waitForHosts(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// waitForHosts returns once every dev host has registered, so that a
// deploy right after start spreads over all of them.
func (d *Dev) waitForHosts(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, h := range d.Hosts {
		id, _, _ := strings.Cut(h, "@")
		for {
			seq, err := d.Store.LastSequence(ctx, events.Host(id).Filter())
			if err == nil && seq > 0 {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("host %s did not register: %w", id, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// PrintAddresses tells a person where everything listens.
func (d *Dev) PrintAddresses(w io.Writer) {
	d.Server.PrintAddresses(w)
	if d.pg != nil {
		fmt.Fprintf(w, "PostgreSQL       %s (password in %s)\n", redact(d.pg.DSN()), d.pg.PasswordFile())
	}
	fmt.Fprintf(w, "hosts            %v\n", d.Hosts)
	if len(d.LogRelays) > 0 {
		fmt.Fprintf(w, "log relays       %v (udp+tcp)\n", d.LogRelays)
	}
	if d.ClientConfig != "" {
		fmt.Fprintf(w, "CLI config       %s (API URL and an admin token; berth reads it)\n", d.ClientConfig)
	}
}

// Close stops agents, the server and the private database, in that order.
func (d *Dev) Close() {
	for i := len(d.agents) - 1; i >= 0; i-- {
		d.agents[i]()
	}
	d.agents = nil
	if d.Server != nil {
		d.Server.Close()
	}
	if d.pg != nil {
		_ = d.pg.Stop(context.Background())
	}
}

// redact hides a URL's password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	return u.Redacted()
}
