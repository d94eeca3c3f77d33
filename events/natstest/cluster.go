package natstest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Cluster is a JetStream cluster of embedded servers routed on loopback,
// each with its store in its own directory, for tests that kill and
// restart nodes.
type Cluster struct {
	t     testing.TB
	mu    sync.Mutex
	nodes []*clusterNode
}

type clusterNode struct {
	opts *server.Options
	srv  *server.Server // nil while down
}

// StartCluster starts n routed JetStream servers and waits until their
// meta group has a leader. Every server is shut down at cleanup.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	dir := t.TempDir()
	// JetStream in a cluster starts only with routes configured, so the
	// route ports are picked (and freed) before any server starts.
	var routes []*url.URL
	ports := make([]int, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: pick a route port: %v", err)
		}
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "berth-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     routes,
		}
		nd := &clusterNode{opts: opts}
		c.nodes = append(c.nodes, nd)
		c.start(nd)
		opts.Port = nd.srv.Addr().(*net.TCPAddr).Port // a restart reuses it
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.Kill(i)
		}
	})
	c.WaitMetaLeader()
	return c
}

func (c *Cluster) start(nd *clusterNode) {
	c.t.Helper()
	opts := *nd.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		c.t.Fatalf("natstest: cluster node %s: %v", nd.opts.ServerName, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(time.Minute) {
		srv.Shutdown()
		c.t.Fatalf("natstest: cluster node %s not ready", nd.opts.ServerName)
	}
	nd.srv = srv
}

// URLs is every node's client URL, comma-separated, as clients take it.
func (c *Cluster) URLs() string {
	var urls []string
	for _, nd := range c.nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", nd.opts.Port))
	}
	return strings.Join(urls, ",")
}

// Kill shuts node i down (a no-op if it is down).
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	srv := c.nodes[i].srv
	c.nodes[i].srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts node i again on its ports and store.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nodes[i].srv == nil {
		c.start(c.nodes[i])
	}
}

// Server is node i's server, nil while it is down.
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].srv
}

// StreamLeader is the index of the node leading stream (of the default
// account), -1 if none does.
func (c *Cluster) StreamLeader(stream string) int {
	for i := range c.nodes {
		if srv := c.Server(i); srv != nil && srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// WaitStreamLeader waits until stream has a leader and returns its node.
func (c *Cluster) WaitStreamLeader(stream string) int {
	c.t.Helper()
	leader := -1
	Eventually(c.t, time.Minute, "stream "+stream+" has a leader", func() bool {
		leader = c.StreamLeader(stream)
		return leader >= 0
	})
	return leader
}

// WaitMetaLeader waits until the live nodes' meta group has a leader that
// knows every node, so that streams can be placed on all of them.
func (c *Cluster) WaitMetaLeader() {
	c.t.Helper()
	Eventually(c.t, time.Minute, "the cluster has a JetStream meta leader knowing every node", func() bool {
		for i := range c.nodes {
			if srv := c.Server(i); srv != nil && srv.JetStreamIsLeader() {
				return len(srv.JetStreamClusterPeers()) == len(c.nodes)
			}
		}
		return false
	})
}

// Connect opens a client to every node (it fails over between them),
// closed at cleanup.
func (c *Cluster) Connect(t testing.TB, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(c.URLs(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", c.URLs(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitStreamCurrent waits until every live node's replica of stream is
// current with its leader, and its meta group too (after a restart,
// before the next kill).
func (c *Cluster) WaitStreamCurrent(stream string) {
	c.t.Helper()
	c.WaitStreamLeader(stream)
	Eventually(c.t, time.Minute, "every replica of "+stream+" current", func() bool {
		for i := range c.nodes {
			if srv := c.Server(i); srv != nil && (!srv.JetStreamIsCurrent() || !srv.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, stream)) {
				return false
			}
		}
		return true
	})
}
