package intake_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/record"
)

// collector is a Sink that keeps what it accepts. It can hold calls until
// opened and fail a number of calls first.
type collector struct {
	mu       sync.Mutex
	recs     []record.Record
	gate     chan struct{} // nil: open
	failures int
	calls    int
}

func newGated() *collector { return &collector{gate: make(chan struct{})} }

func (c *collector) open() { close(c.gate) }

func (c *collector) Publish(ctx context.Context, recs []record.Record) error {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.failures > 0 {
		c.failures--
		return errors.New("sink unavailable")
	}
	c.recs = append(c.recs, recs...)
	return nil
}

func (c *collector) records() []record.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]record.Record(nil), c.recs...)
}

// start listens on random loopback ports and runs the server until the
// test ends; stop cancels it early and waits for Run to return.
func start(t testing.TB, cfg intake.Config, sink intake.Sink) (srv *intake.Server, stop func()) {
	t.Helper()
	if cfg.TCPAddr == "" {
		cfg.TCPAddr = "127.0.0.1:0"
	}
	if cfg.UDPAddr == "" {
		cfg.UDPAddr = "127.0.0.1:0"
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	srv, err := intake.Listen(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

func dial(t testing.TB, network string, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.Dial(network, addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t testing.TB, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, what, cond)
}

// The formats Docker's syslog driver writes (via srslog): each message
// ends in LF; tcp+tls adds octet counting around it.
const (
	stdoutPri = 3*8 + 6 // daemon.info
	stderrPri = 3*8 + 3 // daemon.err
)

func rfc5424(pri int, ts time.Time, host, tag, msg string) string {
	return fmt.Sprintf("<%d>1 %s %s %s %d %s - %s\n", pri, ts.Format(time.RFC3339), host, tag, 4711, tag, msg)
}

func rfc5424micro(pri int, ts time.Time, host, tag, msg string) string {
	return fmt.Sprintf("<%d>1 %s %s %s %d %s - %s\n", pri, ts.Format("2006-01-02T15:04:05.000000Z07:00"), host, tag, 4711, tag, msg)
}

func rfc3164(pri int, ts time.Time, host, tag, msg string) string {
	return fmt.Sprintf("<%d>%s %s %s[%d]: %s\n", pri, ts.Format(time.Stamp), host, tag, 4711, msg)
}

// unixFormat is Docker's default syslog-format: RFC 3164 without HOSTNAME.
func unixFormat(pri int, ts time.Time, _, tag, msg string) string {
	return fmt.Sprintf("<%d>%s %s[%d]: %s\n", pri, ts.Format(time.Stamp), tag, 4711, msg)
}

func octetCounted(msg string) string { return fmt.Sprintf("%d %s", len(msg), msg) }
