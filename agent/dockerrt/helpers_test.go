package dockerrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

const testHostIP = "127.0.0.2"

var (
	imageOnce sync.Once
	imageRef  string
)

// testImage builds berth-testapp once per test binary.
func testImage(t *testing.T) string {
	t.Helper()
	imageOnce.Do(func() { imageRef = testimage.EnsureT(t) })
	if imageRef == "" {
		t.Fatal("test image unavailable (see the first failing test)")
	}
	return imageRef
}

func newTestRuntime(t *testing.T, opts ...client.Opt) (*Runtime, *client.Client) {
	t.Helper()
	cli, err := NewClient(opts...)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	rt, err := New(cli, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt, cli
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testSpec is a spec for a fresh instance on a host name of its own, so
// concurrent tests never see each other's containers.
func testSpec(t *testing.T) ContainerSpec {
	t.Helper()
	return ContainerSpec{
		App:      "rt",
		Instance: "rt-" + randHex(t, 3),
		Host:     "test-" + randHex(t, 4),
		Image:    testImage(t),
		HostIP:   testHostIP,
		HostPort: freePort(t, "tcp"),
	}
}

// freePort returns a port now free on testHostIP for network ("tcp" or "udp").
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", testHostIP+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", testHostIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run starts spec and removes the container when the test ends.
func run(t *testing.T, rt *Runtime, spec ContainerSpec) string {
	t.Helper()
	t.Cleanup(func() { removeByName(t, spec.Name()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := rt.Run(ctx, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return id
}

func removeByName(t *testing.T, name string) {
	cli, err := NewClient()
	if err != nil {
		t.Errorf("cleanup client: %v", err)
		return
	}
	defer cli.Close()
	_ = cli.ContainerRemove(context.Background(), name, container.RemoveOptions{Force: true})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpGet(url string) (int, []byte, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func appURL(spec ContainerSpec, path string) string {
	return fmt.Sprintf("http://%s:%d%s", spec.HostIP, spec.HostPort, path)
}

// waitServing waits until the app answers GET / and returns its identity.
func waitServing(t *testing.T, spec ContainerSpec) map[string]string {
	t.Helper()
	var ident map[string]string
	waitFor(t, 20*time.Second, "app to serve", func() error {
		code, body, err := httpGet(appURL(spec, "/"))
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("status %d", code)
		}
		return json.Unmarshal(body, &ident)
	})
	return ident
}

// nextEvent returns the first event matching want, failing after timeout.
func nextEvent(t *testing.T, evs <-chan Event, timeout time.Duration, want func(Event) bool) Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("event channel closed")
			}
			if want(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("timed out waiting for event")
		}
	}
}

func isKind(kind EventKind, id string) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == kind && (id == "" || ev.ContainerID == id) }
}

// watch starts Watch for host and waits for its first resync, so the stream is live.
func watch(t *testing.T, rt *Runtime, host string) <-chan Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	evs := rt.Watch(ctx, host)
	nextEvent(t, evs, 10*time.Second, isKind(EventResync, ""))
	return evs
}
