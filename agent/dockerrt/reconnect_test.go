package dockerrt

import (
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// engineProxy stands between a client and the real engine socket so a test can
// make the engine vanish and come back, as a restart does, without disturbing
// other users of the engine.
type engineProxy struct {
	path, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newEngineProxy(t *testing.T) *engineProxy {
	t.Helper()
	p := &engineProxy{
		path:   filepath.Join(t.TempDir(), "docker.sock"),
		target: "/var/run/docker.sock",
		conns:  map[net.Conn]bool{},
	}
	p.up(t)
	t.Cleanup(p.down)
	return p
}

func (p *engineProxy) host() string { return "unix://" + p.path }

func (p *engineProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

// down refuses new connections and cuts every open one.
func (p *engineProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *engineProxy) pipe(c net.Conn) {
	up, err := net.Dial("unix", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func TestWatchSurvivesEngineOutage(t *testing.T) {
	t.Parallel()
	proxy := newEngineProxy(t)
	watched, _ := newTestRuntime(t, client.WithHost(proxy.host()))
	watched.backoffMax = time.Second
	direct, _ := newTestRuntime(t)
	spec := testSpec(t)
	evs := watch(t, watched, spec.Host)

	proxy.down()
	// While the watcher cannot reach the engine, a container starts.
	id := run(t, direct, spec)
	waitServing(t, spec)
	proxy.up(t)

	// Reconnected: a resync, and the start missed during the outage is replayed.
	nextEvent(t, evs, 20*time.Second, isKind(EventResync, ""))
	nextEvent(t, evs, 20*time.Second, isKind(EventStarted, id))

	// And the live stream works again.
	_, _, _ = httpGet(appURL(spec, "/exit?code=7"))
	ev := nextEvent(t, evs, 20*time.Second, isKind(EventExited, id))
	if ev.ExitCode != 7 {
		t.Fatalf("exited event %+v, want code 7", ev)
	}
}
