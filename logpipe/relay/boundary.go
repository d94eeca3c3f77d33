package relay

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// boundary watches the syslog lines a restarted relay receives around the
// moment it started listening. Docker's log pipeline may still be sending
// lines stamped before that moment: those come over syslog and must not
// be recovered from Docker's cache a second time, and the cache must not
// be read before the pipeline has moved past the moment, lest a line
// still on its way to the cache be missed.
type boundary struct {
	started time.Time
	// settled is set once the backfill is over: from then on batches pass
	// without being looked at.
	settled atomic.Bool

	mu     sync.Mutex
	before map[string]map[lineKey]bool // instance → lines stamped before started
	past   map[string]chan struct{}    // instance → closed once a line stamped after arrived
}

// lineKey is a line by its microsecond (Docker's syslog precision; a
// number, since equal times in other zones differ as map keys) and text.
type lineKey struct {
	micros int64
	msg    string
}

func newBoundary(started time.Time) *boundary {
	return &boundary{started: started, before: map[string]map[lineKey]bool{}, past: map[string]chan struct{}{}}
}

func (b *boundary) observe(recs []record.Record) {
	if b.settled.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.settled.Load() { // settled while this batch waited for the lock
		return
	}
	for _, r := range recs {
		if r.Time.Before(b.started) {
			if b.before[r.Instance] == nil {
				b.before[r.Instance] = map[lineKey]bool{}
			}
			b.before[r.Instance][lineKey{r.Time.UnixMicro(), r.Message}] = true
			continue
		}
		ch := b.pastLocked(r.Instance)
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}

func (b *boundary) pastLocked(instance string) chan struct{} {
	ch, ok := b.past[instance]
	if !ok {
		ch = make(chan struct{})
		b.past[instance] = ch
	}
	return ch
}

// wait returns once instance's pipeline has delivered a line stamped after
// the start, or after grace (a quiet container), or when ctx ends.
func (b *boundary) wait(ctx context.Context, instance string, grace time.Duration) {
	b.mu.Lock()
	ch := b.pastLocked(instance)
	b.mu.Unlock()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

// settle ends the watch and frees what it noted.
func (b *boundary) settle() {
	b.settled.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.before, b.past = nil, nil
}

// delivered reports whether rec already came over syslog.
func (b *boundary) delivered(rec record.Record) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.before[rec.Instance][lineKey{rec.Time.UnixMicro(), rec.Message}]
}
