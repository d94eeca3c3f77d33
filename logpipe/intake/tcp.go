package intake

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

func (s *Server) acceptLoop(ctx context.Context, conns *sync.WaitGroup) {
	delay := 5 * time.Millisecond
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			// Out of file descriptors and the like: wait, don't spin.
			s.log.Warn("syslog accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if !s.track(c) {
			continue
		}
		conns.Go(func() {
			defer s.untrack(c)
			s.serveConn(ctx, c, s.activity(c))
		})
	}
}

// track registers an accepted connection; false (and closed) when over
// MaxConns or shutting down.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.cfg.MaxConns {
		c.Close()
		if !s.closed {
			s.stats.rejectedConns.Add(1)
			s.log.Warn("syslog connection refused: too many connections", "remote", c.RemoteAddr().String())
		}
		return false
	}
	last := new(atomic.Int64)
	last.Store(time.Now().UnixNano())
	s.conns[c] = last
	s.stats.conns.Add(1)
	return true
}

func (s *Server) activity(c net.Conn) *atomic.Int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[c]
}

// reapIdle closes connections idle for IdleTimeout while more than
// IdleAbove are open, so idle connections can't pile up to MaxConns.
func (s *Server) reapIdle(ctx context.Context) {
	t := time.NewTicker(max(s.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			if len(s.conns) > s.cfg.IdleAbove {
				cutoff := now.Add(-s.cfg.IdleTimeout).UnixNano()
				for c, last := range s.conns {
					if last.Load() < cutoff {
						c.Close() // its reader ends and untracks it
						last.Store(now.UnixNano())
						s.stats.idleClosed.Add(1)
					}
				}
			}
			s.mu.Unlock()
		}
	}
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.stats.conns.Add(-1)
}

// serveConn reads frames until the peer closes or ctx ends. When the queue
// is full it stops reading, so the sender's writes block.
func (s *Server) serveConn(ctx context.Context, c net.Conn, last *atomic.Int64) {
	f := newFramer(c, s.cfg.MaxMessageBytes)
	p := NewParser(s.cfg.Location)
	for {
		frame, truncated, err := f.next()
		last.Store(time.Now().UnixNano())
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("syslog connection ended", "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		if isBlank(frame) {
			continue
		}
		rec := p.Parse(frame, time.Now())
		s.count(&rec, truncated)
		if !s.enqueue(ctx, rec) {
			return
		}
	}
}

// isBlank reports a frame that holds only line ends or NULs.
func isBlank(frame []byte) bool {
	for _, c := range frame {
		if c != '\n' && c != '\r' && c != 0 {
			return false
		}
	}
	return true
}
