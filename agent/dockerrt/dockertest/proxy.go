// Package dockertest helps tests make the Docker engine vanish and come
// back without disturbing other users of the engine.
package dockertest

import (
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// EngineProxy stands between a client and the real engine socket so a test can
// make the engine vanish and come back, as a restart does, without disturbing
// other users of the engine.
type EngineProxy struct {
	path, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewEngineProxy listens on a socket in t.TempDir() that forwards to the
// real engine; it is cut at cleanup.
func NewEngineProxy(t testing.TB) *EngineProxy {
	t.Helper()
	p := &EngineProxy{
		path:   filepath.Join(t.TempDir(), "docker.sock"),
		target: "/var/run/docker.sock",
		conns:  map[net.Conn]bool{},
	}
	p.Up(t)
	t.Cleanup(p.Down)
	return p
}

// Host is the DOCKER_HOST value that goes through the proxy.
func (p *EngineProxy) Host() string { return "unix://" + p.path }

// Up accepts connections again, as an engine that came back.
func (p *EngineProxy) Up(t testing.TB) {
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
func (p *EngineProxy) Down() {
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

func (p *EngineProxy) pipe(c net.Conn) {
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
