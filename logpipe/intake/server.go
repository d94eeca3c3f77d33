package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/berth-dev/berth/logpipe/record"
)

// Sink receives batches of records. Publish returns nil only once the
// records are safe (the durable buffer: acknowledged by JetStream); on error
// the same batch is offered again. It may modify recs but must not keep
// them, and must be safe for concurrent use when Flushers > 1.
type Sink interface {
	Publish(ctx context.Context, recs []record.Record) error
}

// Server is a syslog receiver. Listen binds it, Run serves it.
type Server struct {
	cfg   Config
	sink  Sink
	log   *slog.Logger
	tcp   net.Listener
	udp   net.PacketConn
	sem   *semaphore.Weighted
	queue chan record.Record
	spare chan []record.Record // published batches' slices, for reuse
	stats counters

	running atomic.Bool
	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]*atomic.Int64 // last activity, unix nanoseconds
}

// Listen binds the configured sockets; nothing is read until Run.
func Listen(cfg Config, sink Sink) (*Server, error) {
	cfg.setDefaults()
	err := cfg.Validate()
	if sink == nil {
		err = errors.Join(err, errors.New("sink is nil"))
	}
	if err != nil {
		return nil, fmt.Errorf("intake config: %w", err)
	}
	s := &Server{
		cfg: cfg, sink: sink, log: cfg.Logger,
		sem:   semaphore.NewWeighted(cfg.MaxQueueBytes),
		queue: make(chan record.Record, max(4*cfg.BatchSize, 4096)),
		spare: make(chan []record.Record, cfg.Flushers+1),
		conns: make(map[net.Conn]*atomic.Int64),
	}
	if !cfg.DisableTCP {
		if s.tcp, err = net.Listen("tcp", cfg.TCPAddr); err != nil {
			return nil, fmt.Errorf("listen tcp %s: %w", cfg.TCPAddr, err)
		}
	}
	if !cfg.DisableUDP {
		if s.udp, err = net.ListenPacket("udp", cfg.UDPAddr); err != nil {
			s.Close()
			return nil, fmt.Errorf("listen udp %s: %w", cfg.UDPAddr, err)
		}
		if uc, ok := s.udp.(*net.UDPConn); ok {
			_ = uc.SetReadBuffer(udpReadBuffer) // best effort: the kernel may cap it
		}
	}
	return s, nil
}

// udpReadBuffer absorbs bursts while the reader is busy.
const udpReadBuffer = 4 << 20

// TCPAddr is the bound TCP address, nil when TCP is disabled.
func (s *Server) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// UDPAddr is the bound UDP address, nil when UDP is disabled.
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Run serves until ctx ends, then stops reading, flushes what is queued to
// the sink within DrainTimeout and returns. It returns an error only when
// called twice.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("intake: Run called twice")
	}
	// Publishing outlives ctx: the drain needs it.
	pubCtx, cancelPub := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPub()
	batches := make(chan batch, s.cfg.Flushers)
	var flushers sync.WaitGroup
	for range s.cfg.Flushers {
		flushers.Go(func() { s.flushLoop(pubCtx, batches) })
	}
	go s.batchLoop(batches)

	var readers sync.WaitGroup
	if s.tcp != nil {
		readers.Go(func() { s.acceptLoop(ctx, &readers) })
	}
	if s.udp != nil {
		readers.Go(func() { s.udpLoop(ctx) })
	}
	if s.cfg.IdleTimeout > 0 {
		readers.Go(func() { s.reapIdle(ctx) })
	}
	<-ctx.Done()
	s.Close()
	readers.Wait()
	close(s.queue)

	drained := make(chan struct{})
	go func() { flushers.Wait(); close(drained) }()
	timer := time.NewTimer(s.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
		s.log.Warn("log intake drain timed out; dropping what is left")
		cancelPub()
		<-drained
	}
	return nil
}

// Close closes the sockets and open connections. Run calls it on the way
// out; call it only to release a server that never ran.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.udp != nil {
		s.udp.Close()
	}
	for c := range s.conns {
		c.Close()
	}
}

// enqueue waits for room (TCP backpressure) and queues rec; false when ctx ended.
func (s *Server) enqueue(ctx context.Context, rec record.Record) bool {
	size := s.sizeOf(&rec)
	if !s.sem.TryAcquire(size) {
		s.stats.paused.Add(1)
		err := s.sem.Acquire(ctx, size)
		s.stats.paused.Add(-1)
		if err != nil {
			s.stats.dropped.Add(1)
			return false
		}
	}
	s.stats.queuedBytes.Add(size)
	select {
	case s.queue <- rec:
		return true
	default:
	}
	s.stats.paused.Add(1)
	defer s.stats.paused.Add(-1)
	select {
	case s.queue <- rec:
		return true
	case <-ctx.Done():
		s.release(size)
		s.stats.dropped.Add(1)
		return false
	}
}

// offer queues rec if there is room right now, else drops it (UDP).
func (s *Server) offer(rec record.Record) {
	size := s.sizeOf(&rec)
	if !s.sem.TryAcquire(size) {
		s.stats.dropped.Add(1)
		return
	}
	s.stats.queuedBytes.Add(size)
	select {
	case s.queue <- rec:
	default:
		s.release(size)
		s.stats.dropped.Add(1)
	}
}

func (s *Server) sizeOf(r *record.Record) int64 {
	return min(int64(r.Size()), s.cfg.MaxQueueBytes)
}

func (s *Server) release(size int64) {
	s.stats.queuedBytes.Add(-size)
	s.sem.Release(size)
}

func (s *Server) count(rec *record.Record, truncated bool) {
	s.stats.received.Add(1)
	if rec.Malformed {
		s.stats.malformed.Add(1)
		s.log.Debug("malformed syslog message", "raw", rec.Raw)
	}
	if truncated {
		s.stats.truncated.Add(1)
	}
}
