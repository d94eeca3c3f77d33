package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/agent"
	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/logpipe/relay"
)

// AgentConfig is the agent role's command-line view of agent.Config.
type AgentConfig struct {
	NATSURL string
	// NATSCreds is this host's credential: the nkey seed `berth nats-key
	// host` made, or a .creds file.
	NATSCreds string
	// NATSTLS is the CA the NATS server's certificate chains to and this
	// host's client certificate, when the bus speaks TLS.
	NATSTLS natsauth.TLSFiles
	HostID  string
	Addr    string
	Zone    string
	Labels  map[string]string
	CPUs    float64
	// Memory is a size like 8g; empty offers the machine's.
	Memory string
	// Ports is a range like 20000-29999.
	Ports string
	// LogRelay is where this host's log relay listens, TCP and UDP (a
	// loopback address such as 127.0.0.1:5514); empty runs none.
	LogRelay string
	// Syslog is where containers log (tcp://...); empty means the relay
	// when there is one, else Docker's default driver.
	Syslog string
}

func (c AgentConfig) agentConfig() (agent.Config, error) {
	var errs []error
	mem, err := commands.ParseMemory(c.Memory)
	if err != nil {
		errs = append(errs, err)
	}
	lo, hi, err := parsePorts(c.Ports)
	if err != nil {
		errs = append(errs, err)
	}
	return agent.Config{
		HostID: c.HostID, Addr: c.Addr, Zone: c.Zone, Labels: c.Labels,
		CPUs: c.CPUs, MemoryBytes: mem, PortMin: lo, PortMax: hi, SyslogAddr: c.Syslog,
	}, errors.Join(errs...)
}

func parsePorts(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo < 1024 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("ports %q: want a range like 20000-29999 within 1024-65535", s)
	}
	return lo, hi, nil
}

// RunAgent runs the host agent until ctx ends.
func RunAgent(ctx context.Context, c AgentConfig) error {
	stop, _, err := startAgent(ctx, c)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}

// startAgent connects, builds and starts an agent and its log relay,
// returning their stop and the relay's address (empty without one).
func startAgent(ctx context.Context, c AgentConfig) (stop func(), relayAddr string, err error) {
	cfg, err := c.agentConfig()
	if err != nil {
		return nil, "", fmt.Errorf("agent config: %w", err)
	}
	auth, err := natsAuth(c.NATSCreds)
	if err != nil {
		return nil, "", err
	}
	tlsOpts, err := c.NATSTLS.ClientOptions()
	if err != nil {
		return nil, "", err
	}
	auth = append(auth, tlsOpts...)
	// Its own inbox prefix: its permissions let it receive only there.
	nc, err := nats.Connect(c.NATSURL, append(auth, nats.Name("berth-agent-"+c.HostID), nats.MaxReconnects(-1),
		nats.CustomInboxPrefix(natsauth.AgentInbox(c.HostID)),
		// A key refused now may be authorised in a moment (the server
		// re-reads its keys every 2s): keep trying rather than give up.
		nats.IgnoreAuthErrorAbort(),
		nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return nil, "", fmt.Errorf("connect NATS %s: %w", c.NATSURL, err)
	}
	var rl *relay.Relay
	var cli *client.Client
	ok := false
	defer func() {
		if !ok {
			if rl != nil {
				rl.Close()
			}
			if cli != nil {
				_ = cli.Close()
			}
			nc.Close()
		}
	}()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, "", fmt.Errorf("jetstream: %w", err)
	}
	bus, err := attachWithRetry(ctx, js, c.HostID)
	if err != nil {
		return nil, "", err
	}
	cli, err = dockerrt.NewClient()
	if err != nil {
		return nil, "", fmt.Errorf("docker client: %w", err)
	}
	cli.NegotiateAPIVersion(ctx) // before any concurrent use: the client races on its first calls
	rt, err := dockerrt.New(cli, slog.Default().With("host", c.HostID))
	if err != nil {
		return nil, "", fmt.Errorf("docker runtime: %w", err)
	}
	// The relay listens before the agent starts containers that log to it;
	// it asks the agent which app an instance belongs to.
	var a *agent.Agent
	if c.LogRelay != "" {
		rl, err = relay.Listen(relay.Config{Addr: c.LogRelay, Host: c.HostID, Logger: slog.Default().With("host", c.HostID),
			Backfill: relaySource{rt: rt, host: c.HostID}},
			js, relay.AppsFunc(func(id string) (string, bool) { return a.AppOf(id) }))
		if err != nil {
			return nil, "", err
		}
		if cfg.SyslogAddr == "" {
			cfg.SyslogAddr = "tcp://" + rl.Addr().String()
		}
	}
	a, err = agent.New(cfg, bus, nc, rt)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithCancel(ctx)
	var g group
	g.Go(ctx, "agent "+c.HostID, a.Run)
	if rl != nil {
		g.Go(ctx, "log relay "+c.HostID, rl.Run)
	}
	ok = true
	if rl != nil {
		relayAddr = rl.Addr().String()
	}
	return func() {
		cancel()
		g.Wait()
		nc.Close()
		_ = cli.Close()
	}, relayAddr, nil
}

// attachWithRetry waits for the server to have created the host streams:
// an agent may start first.
func attachWithRetry(ctx context.Context, js jetstream.JetStream, host string) (*hostbus.Bus, error) {
	for {
		bus, err := hostbus.Attach(ctx, js, host)
		if err == nil {
			return bus, nil
		}
		slog.Warn("waiting for the host streams", "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// relaySource shows the log relay this host's running containers and
// their logs through the agent's Docker runtime.
type relaySource struct {
	rt   *dockerrt.Runtime
	host string
}

func (s relaySource) Running(ctx context.Context) ([]relay.Container, error) {
	list, err := s.rt.List(ctx, s.host)
	if err != nil {
		return nil, err
	}
	var out []relay.Container
	for _, c := range list {
		if c.Running && c.Instance != "" {
			out = append(out, relay.Container{ID: c.ID, App: c.App, Instance: c.Instance, Created: c.Created})
		}
	}
	return out, nil
}

func (s relaySource) Logs(ctx context.Context, id string, since, until time.Time) (io.ReadCloser, error) {
	return s.rt.Logs(ctx, id, since, until)
}
