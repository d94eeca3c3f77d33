package intake

import (
	"context"
	"errors"
	"net"
	"time"
)

// maxDatagram is more than any UDP payload, so nothing is cut by the read.
const maxDatagram = 64 << 10

// udpLoop reads one message per datagram. When the queue is full messages
// are dropped and counted: UDP has no way to slow the sender.
func (s *Server) udpLoop(ctx context.Context) {
	buf := make([]byte, maxDatagram)
	p := NewParser(s.cfg.Location)
	for {
		n, _, err := s.udp.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			s.log.Warn("syslog udp read failed", "err", err)
			continue
		}
		frame, truncated := buf[:n], false
		if n > s.cfg.MaxMessageBytes {
			frame, truncated = frame[:s.cfg.MaxMessageBytes], true
		}
		if isBlank(frame) {
			continue
		}
		rec := p.Parse(frame, time.Now())
		s.count(&rec, truncated)
		s.offer(rec)
	}
}
