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
	b := batch{recs: s.newRecs()}
	flush := func() {
		timer.Stop()
		if len(b.recs) > 0 {
			out <- b
			b = batch{recs: s.newRecs()}
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
		// Take what is queued without select's cost per record; wait on
		// the queue and the timer together only when it is empty.
		select {
		case r, ok := <-s.queue:
			if !ok {
				flush()
				return
			}
			add(r)
			continue
		default:
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
		s.reuseRecs(b.recs)
	}
}

// newRecs returns an empty batch slice, reusing a published one if any:
// a batch's records are the bulk of intake's allocation.
func (s *Server) newRecs() []record.Record {
	select {
	case recs := <-s.spare:
		return recs
	default:
		return make([]record.Record, 0, s.cfg.BatchSize)
	}
}

// reuseRecs keeps recs, which the sink is done with, for a later batch.
func (s *Server) reuseRecs(recs []record.Record) {
	clear(recs) // drop the strings for the garbage collector
	select {
	case s.spare <- recs[:0]:
	default:
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
