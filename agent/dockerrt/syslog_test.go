package dockerrt

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"
)

// syslogLine parses one RFC 5424 message as the log pipeline would.
func syslogLine(t *testing.T, raw string) (appName, msg string) {
	t.Helper()
	m, err := rfc5424.NewMachine().Parse([]byte(strings.TrimRight(raw, "\n")))
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	sm := m.(*rfc5424.SyslogMessage)
	if sm.Appname != nil {
		appName = *sm.Appname
	}
	if sm.Message != nil {
		msg = *sm.Message
	}
	return appName, msg
}

// logUntil asks the app to log marker until lines yields it; with UDP a line
// sent before the receiver was ready is lost, so it asks again.
func logUntil(t *testing.T, spec ContainerSpec, lines <-chan string, marker string) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	ask := time.NewTicker(500 * time.Millisecond)
	defer ask.Stop()
	_, _, _ = httpGet(appURL(spec, "/log?line="+url.QueryEscape(marker)))
	for {
		select {
		case l := <-lines:
			if strings.Contains(l, marker) {
				return l
			}
		case <-ask.C:
			_, _, _ = httpGet(appURL(spec, "/log?line="+url.QueryEscape(marker)))
		case <-deadline:
			t.Fatalf("line %q never reached the syslog receiver", marker)
		}
	}
}

func TestSyslogOverTCP(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lines := make(chan string, 100)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		// Over plain TCP Docker frames messages with a trailing newline (octet counting only over TLS).
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	spec := testSpec(t)
	spec.Log = &SyslogLog{Address: "tcp://" + ln.Addr().String()}
	id := run(t, rt, spec)
	waitServing(t, spec)

	marker := "hello-tcp-" + randHex(t, 4)
	app, msg := syslogLine(t, logUntil(t, spec, lines, marker))
	if app != spec.Instance || msg != marker {
		t.Fatalf("syslog app-name %q message %q, want %q %q", app, msg, spec.Instance, marker)
	}
	assertLabel(t, rt, spec.Host, id, LabelLogFallback, "")
}

func TestSyslogFallsBackToUDPWhenReceiverIsDown(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	// A UDP socket on a port where nothing accepts TCP: the configured TCP receiver is "down".
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	lines := make(chan string, 100)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			lines <- string(buf[:n])
		}
	}()
	port := pc.LocalAddr().(*net.UDPAddr).Port

	spec := testSpec(t)
	spec.Log = &SyslogLog{Address: fmt.Sprintf("tcp://127.0.0.1:%d", port)}
	id := run(t, rt, spec)
	waitServing(t, spec)

	marker := "hello-udp-" + randHex(t, 4)
	app, msg := syslogLine(t, logUntil(t, spec, lines, marker))
	if app != spec.Instance || msg != marker {
		t.Fatalf("syslog app-name %q message %q, want %q %q", app, msg, spec.Instance, marker)
	}
	assertLabel(t, rt, spec.Host, id, LabelLogFallback, fmt.Sprintf("udp://127.0.0.1:%d", port))
}

func TestSyslogFallsBackToEngineDefault(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	spec.Log = &SyslogLog{Address: fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t, "tcp")), Fallback: FallbackEngineDefault}
	id := run(t, rt, spec)
	waitServing(t, spec)
	assertLabel(t, rt, spec.Host, id, LabelLogFallback, string(FallbackEngineDefault))
}

func assertLabel(t *testing.T, rt *Runtime, host, id, key, want string) {
	t.Helper()
	list, err := rt.List(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id {
			if got := c.Labels[key]; got != want {
				t.Fatalf("label %s = %q, want %q", key, got, want)
			}
			return
		}
	}
	t.Fatalf("container %s not listed", short(id))
}
