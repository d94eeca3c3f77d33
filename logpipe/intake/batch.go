package intake

import (
	"context"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// batch is records on their way to the sink, with the queue memory they hold.
type batch struct {
	recs []record.Record
	size int64
}

// batchLoop groups queued records into batches by count and age, and
// closes out when the queue is closed and drained.
func (s *Server) batchLoop(out chan<- batch) {
	defer close(out)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var b batch
	flush := func() {
		timer.Stop()
		if len(b.recs) > 0 {
			out <- b
			b = batch{recs: make([]record.Record, 0, s.cfg.BatchSize)}
		}
	}
	add := func(r record.Record) {
		if len(b.recs) == 0 {
			timer.Reset(s.cfg.BatchWait)
		}
		b.recs = append(b.recs, r)
		b.size += s.sizeOf(&r)
		if len(b.recs) >= s.cfg.BatchSize {
			flush()
		}
	}
	for {
		if len(b.recs) == 0 {
			r, ok := <-s.queue
			if !ok {
				return
			}
			add(r)
			continue
		}
		select {
		case r, ok := <-s.queue:
			if !ok {
				flush()
				return
			}
			add(r)
		case <-timer.C:
			flush()
		}
	}
}

// Retry delays after a failed Publish.
const (
	minRetryDelay = 50 * time.Millisecond
	maxRetryDelay = 5 * time.Second
)

func (s *Server) flushLoop(ctx context.Context, in <-chan batch) {
	for b := range in {
		s.publish(ctx, b.recs)
		s.release(b.size)
	}
}

// publish offers recs to the sink until it accepts them or ctx ends.
func (s *Server) publish(ctx context.Context, recs []record.Record) {
	delay := minRetryDelay
	for {
		err := s.sink.Publish(ctx, recs)
		if err == nil {
			s.stats.published.Add(uint64(len(recs)))
			return
		}
		s.stats.publishErrors.Add(1)
		if ctx.Err() == nil {
			s.log.Warn("publish logs failed; retrying", "records", len(recs), "retry_in", delay, "err", err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			s.stats.dropped.Add(uint64(len(recs)))
			s.log.Error("log records dropped at shutdown", "records", len(recs), "err", err)
			return
		}
		delay = min(2*delay, maxRetryDelay)
	}
}
