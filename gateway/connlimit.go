package gateway

import (
	"net"
	"net/netip"
	"sync"
)

// perClientListener caps the connections one client address holds open at
// once: beyond the cap a new connection is closed at accept, before it
// costs a goroutine, a buffer or a backend connection.
type perClientListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[netip.Addr]int
	// refused counts connections closed at accept (tests read it).
	refused int
}

func limitPerClient(ln net.Listener, max int) *perClientListener {
	return &perClientListener{Listener: ln, max: max, open: map[netip.Addr]int{}}
}

func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, perr := netip.ParseAddrPort(c.RemoteAddr().String())
		if perr != nil {
			return c, nil // not TCP/IP: nothing to count by
		}
		addr := ap.Addr().Unmap()
		l.mu.Lock()
		if l.open[addr] >= l.max {
			l.refused++
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *perClientListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// Refused is how many connections were closed at accept.
func (l *perClientListener) Refused() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

// RefusedConns is how many client connections were closed at accept for
// being over MaxConnsPerClient.
func (g *Gateway) RefusedConns() int {
	if l := g.clients.Load(); l != nil {
		return l.Refused()
	}
	return 0
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
