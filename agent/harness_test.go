package agent_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/agent"
	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/hostbus"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/assign"
	"github.com/berth-dev/berth/workers/intake"
)

const (
	addr1 = "127.0.0.2"
	addr2 = "127.0.0.3"
)

var (
	imageOnce sync.Once
	imageRef  string
)

func testImage(t *testing.T) string {
	t.Helper()
	imageOnce.Do(func() { imageRef = testimage.EnsureT(t) })
	if imageRef == "" {
		t.Fatal("test image unavailable (see the first failing test)")
	}
	return imageRef
}

// harness is one NATS server with the event store, a Docker client and
// the test image.
type harness struct {
	t     *testing.T
	nc    *nats.Conn
	js    jetstream.JetStream
	store *events.Store
	cli   *client.Client
	rt    *dockerrt.Runtime
	image string

	mu   sync.Mutex
	seen []events.Event
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, natstest.Connect(t, natstest.Start(t)))
}

func newHarnessOn(t *testing.T, nc *nats.Conn) *harness {
	t.Helper()
	st := natstest.StoreOn(t, nc, "test")
	js := st.JetStream()
	cli, err := dockerrt.NewClient()
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	// The client is not safe for concurrent use until it has negotiated.
	cli.NegotiateAPIVersion(context.Background())
	rt, err := dockerrt.New(cli, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, nc: nc, js: js, store: st, cli: cli, rt: rt, image: testImage(t)}
	h.collect()
	h.serverSide()
	return h
}

// serverSide runs what the control plane runs for agents: the per-host
// streams, the assigner and the fact intake.
func (h *harness) serverSide() {
	if err := hostbus.EnsureStreams(context.Background(), h.js, 1); err != nil {
		h.t.Fatal(err)
	}
	as, err := assign.New(h.store, h.js, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	in, err := intake.New(h.store, h.js, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{as.Run, in.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	h.t.Cleanup(func() { cancel(); wg.Wait() })
}

// collect follows every event into h.seen until the test ends, so tests
// poll memory instead of replaying the stream each time.
func (h *harness) collect() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		var seq uint64
		for ctx.Err() == nil {
			_ = h.store.Follow(ctx, events.AllSubjects, events.FollowOptions{AfterSeq: seq}, func(r events.Recorded) error {
				h.mu.Lock()
				h.seen = append(h.seen, r.Event)
				h.mu.Unlock()
				seq = r.Sequence
				return nil
			})
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newHost names a host of the test's own, so parallel tests never see
// each other's containers, and removes its containers when the test ends.
func (h *harness) newHost() string {
	h.t.Helper()
	host := "t" + randHex(h.t, 4)
	h.t.Cleanup(func() {
		ctx := context.Background()
		cs, err := h.cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", dockerrt.LabelHost+"="+host))})
		if err != nil {
			h.t.Errorf("cleanup: list containers: %v", err)
			return
		}
		for _, c := range cs {
			_ = h.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
	})
	return host
}

func (h *harness) config(host, addr string) agent.Config {
	return agent.Config{
		HostID:            host,
		Addr:              addr,
		HeartbeatInterval: 200 * time.Millisecond,
		StatsInterval:     time.Second,
		StopTimeout:       5 * time.Second,
		Logger:            slog.New(slog.NewTextHandler(h.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// startAgent runs an agent until the returned stop is called or the test
// ends. Stopping it leaves its containers running, like a killed agent.
func (h *harness) startAgent(cfg agent.Config) (stop func()) {
	h.t.Helper()
	return h.startAgentOn(cfg, h.rt)
}

// startAgentOn is startAgent with the agent's own runtime.
func (h *harness) startAgentOn(cfg agent.Config, rt agent.Runtime) (stop func()) {
	h.t.Helper()
	bus, err := hostbus.Attach(context.Background(), h.js, cfg.HostID)
	if err != nil {
		h.t.Fatal(err)
	}
	a, err := agent.New(cfg, bus, h.nc, rt)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				h.t.Errorf("agent %s: %v", cfg.HostID, err)
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
}

// schedule appends InstanceScheduled for a new instance of app on host
// at addr, as the scheduler would.
func (h *harness) schedule(app, host, addr, image string) events.InstanceScheduled {
	h.t.Helper()
	s := events.InstanceScheduled{
		App:           app,
		Instance:      app + "-" + randHex(h.t, 3),
		Version:       1,
		Host:          host,
		HostAddr:      addr,
		HostPort:      freePort(h.t, addr),
		ContainerPort: 8080,
		Image:         image,
		Env:           map[string]string{"TESTAPP_GREETING": "hello"},
		MemoryBytes:   64 << 20,
		CPUs:          0.5,
	}
	h.append(s)
	return s
}

func (h *harness) unschedule(s events.InstanceScheduled) {
	h.t.Helper()
	h.append(events.InstanceUnscheduled{App: s.App, Instance: s.Instance, Host: s.Host, Reason: "test"})
}

func (h *harness) append(e events.Event) {
	h.t.Helper()
	if _, err := h.store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

// history is every event of the aggregate seen so far.
func (h *harness) history(agg events.Aggregate) []events.Event {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []events.Event
	for _, e := range h.seen {
		if e.Aggregate() == agg {
			out = append(out, e)
		}
	}
	return out
}

// instanceEvents is every event of the instance, in order.
func (h *harness) instanceEvents(s events.InstanceScheduled) []events.Event {
	h.t.Helper()
	var out []events.Event
	for _, e := range h.history(events.App(s.App)) {
		if instanceOf(e) == s.Instance {
			out = append(out, e)
		}
	}
	return out
}

func instanceOf(e events.Event) string {
	switch e := e.(type) {
	case events.InstanceScheduled:
		return e.Instance
	case events.InstanceUnscheduled:
		return e.Instance
	case events.InstanceStarted:
		return e.Instance
	case events.InstanceExited:
		return e.Instance
	case events.InstanceStopped:
		return e.Instance
	}
	return ""
}

// waitEvent waits for the instance's first event of type T and returns it.
func waitEvent[T events.Event](h *harness, s events.InstanceScheduled) T {
	h.t.Helper()
	var found T
	waitFor(h.t, fmt.Sprintf("%T of %s", found, s.Instance), func() error {
		for _, e := range h.instanceEvents(s) {
			if e, ok := e.(T); ok {
				found = e
				return nil
			}
		}
		return fmt.Errorf("events so far: %v", h.instanceEvents(s))
	})
	return found
}

func count[T events.Event](evs []events.Event) int {
	n := 0
	for _, e := range evs {
		if _, ok := e.(T); ok {
			n++
		}
	}
	return n
}

// container is the instance's container on host, nil if none.
func (h *harness) container(host, instance string) *dockerrt.Container {
	h.t.Helper()
	cs, err := h.rt.List(context.Background(), host)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Instance == instance {
			return &c
		}
	}
	return nil
}

func (h *harness) waitGone(host, instance string) {
	h.t.Helper()
	waitFor(h.t, "container of "+instance+" removed", func() error {
		if c := h.container(host, instance); c != nil {
			return fmt.Errorf("container %s is %s", c.ID[:12], c.State)
		}
		return nil
	})
}

// identity asks the testapp at addr who it is.
type identity struct {
	App, Instance, Host string
}

func get(addr, path string) (string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return string(body), nil
}

// waitServes waits until the instance answers at its published address
// and says it is itself.
func waitServes(t *testing.T, s events.InstanceScheduled, addr string) {
	t.Helper()
	target := net.JoinHostPort(addr, fmt.Sprint(s.HostPort))
	waitFor(t, s.Instance+" answering on "+target, func() error {
		body, err := get(target, "/")
		if err != nil {
			return err
		}
		var id identity
		if err := json.Unmarshal([]byte(body), &id); err != nil {
			return fmt.Errorf("decode %q: %w", body, err)
		}
		if id.App != s.App || id.Instance != s.Instance || id.Host != addr {
			return fmt.Errorf("answered as %+v", id)
		}
		return nil
	})
}

// freePort returns a port now free on addr.
func freePort(t *testing.T, addr string) int {
	t.Helper()
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds, failing the test after 60s.
func waitFor(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
