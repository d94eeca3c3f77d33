package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/berth-dev/berth/agent/dockerrt/dockertest"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsserver"
)

func TestSurvivesNATSRestart(t *testing.T) {
	t.Parallel()
	cfg := natsserver.Config{DataDir: t.TempDir(), Port: freePort(t, "127.0.0.1"), ServerName: "berth-test"}
	srv, err := natsserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	nc, err := nats.Connect(srv.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h := newHarnessOn(t, nc)
	host := h.newHost()
	h.startAgent(h.config(host, addr1))
	a := h.schedule("steady", host, addr1, h.image)
	waitEvent[events.InstanceStarted](h, a)
	waitServes(t, a, addr1)

	srv.Shutdown()
	// The bus is gone: the container keeps serving, and an exit happens
	// that can't be reported yet.
	waitServes(t, a, addr1)
	_, _ = get(net.JoinHostPort(addr1, fmt.Sprint(a.HostPort)), "/exit?code=4")
	waitFor(t, "container of "+a.Instance+" exited", func() error {
		if c := h.container(host, a.Instance); c == nil || c.Running {
			return fmt.Errorf("container %+v", c)
		}
		return nil
	})

	srv, err = natsserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	if e := waitEvent[events.InstanceExited](h, a); e.ExitCode != 4 {
		t.Errorf("exited %+v, want code 4", e)
	}
	b := h.schedule("steady", host, addr1, h.image)
	waitEvent[events.InstanceStarted](h, b)
	waitServes(t, b, addr1)

	kv, err := h.js.KeyValue(context.Background(), events.BucketHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	waitFor(t, "heartbeats after the restart", func() error {
		e, err := kv.Get(context.Background(), host)
		if err != nil {
			return err
		}
		var hb events.Heartbeat
		if err := json.Unmarshal(e.Value(), &hb); err != nil {
			return err
		}
		if !hb.Time.After(after) {
			return fmt.Errorf("last heartbeat at %v", hb.Time)
		}
		return nil
	})
}

func TestWaitsOutDockerOutage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	proxy := dockertest.NewEngineProxy(t)
	cli, err := dockerrt.NewClient(client.WithHost(proxy.Host()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	cli.NegotiateAPIVersion(context.Background())
	rt, err := dockerrt.New(cli, nil)
	if err != nil {
		t.Fatal(err)
	}
	host := h.newHost()
	cfg := h.config(host, addr1)
	tap := &logTap{next: cfg.Logger.Handler()}
	cfg.Logger = slog.New(tap)
	h.startAgentOn(cfg, rt)

	a := h.schedule("patient", host, addr1, h.image)
	waitEvent[events.InstanceStarted](h, a)
	waitServes(t, a, addr1)

	proxy.Down()
	// While the agent can't reach Docker, an instance exits and another
	// is scheduled. Running it fails for Docker's sake, not its own: it is
	// retried, not reported as failed.
	_, _ = get(net.JoinHostPort(addr1, fmt.Sprint(a.HostPort)), "/exit?code=6")
	b := h.schedule("patient", host, addr1, h.image)
	waitFor(t, "a failed attempt to run "+b.Instance, func() error {
		if !tap.saw("instance work failed; retrying", b.Instance) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	proxy.Up(t)

	waitEvent[events.InstanceStarted](h, b)
	waitServes(t, b, addr1)
	if n := count[events.InstanceExited](h.instanceEvents(b)); n != 0 {
		t.Errorf("%s reported exited %d times during the outage", b.Instance, n)
	}
	if e := waitEvent[events.InstanceExited](h, a); e.ExitCode != 6 {
		t.Errorf("exited %+v, want code 6", e)
	}
}

// logTap records which messages were logged about which instance.
type logTap struct {
	next  slog.Handler
	attrs []slog.Attr

	mu   *sync.Mutex
	seen *map[string]bool
}

func (l *logTap) init() {
	if l.mu == nil {
		l.mu, l.seen = &sync.Mutex{}, &map[string]bool{}
	}
}

func (l *logTap) Enabled(ctx context.Context, lv slog.Level) bool { return l.next.Enabled(ctx, lv) }

func (l *logTap) Handle(ctx context.Context, r slog.Record) error {
	l.init()
	instance := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "instance" {
			instance = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	(*l.seen)[r.Message+"|"+instance] = true
	l.mu.Unlock()
	return l.next.Handle(ctx, r)
}

func (l *logTap) WithAttrs(as []slog.Attr) slog.Handler {
	l.init()
	return &logTap{next: l.next.WithAttrs(as), mu: l.mu, seen: l.seen}
}

func (l *logTap) WithGroup(name string) slog.Handler {
	l.init()
	return &logTap{next: l.next.WithGroup(name), mu: l.mu, seen: l.seen}
}

func (l *logTap) saw(msg, instance string) bool {
	l.init()
	l.mu.Lock()
	defer l.mu.Unlock()
	return (*l.seen)[msg+"|"+instance]
}
