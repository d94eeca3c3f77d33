package scheduler

import (
	"context"
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// AsyncPublisher is JetStream's pipelined publish. When the Buckets given
// to New offer it (jetstream.JetStream does), new claims are written as
// pipelined compare-and-set publishes instead of one round trip each.
type AsyncPublisher interface {
	PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

// claimReq asks for key for instance; rev > 0 hands over this round's own
// claim at that revision instead.
type claimReq struct {
	key, host, instance string
	port                int
	rev                 uint64
}

type claimResult struct {
	rev uint64
	ok  bool // false: someone else holds the key
	err error
}

// claimMany makes the claims, results in the order of reqs.
func (c *claims) claimMany(ctx context.Context, reqs []claimReq, concurrency int) []claimResult {
	res := make([]claimResult, len(reqs))
	slow := make([]int, 0, len(reqs))
	if c.pub == nil {
		for i := range reqs {
			slow = append(slow, i)
		}
	} else {
		slow = c.pipeline(ctx, reqs, res, slow)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(concurrency, 1))
	for _, i := range slow {
		q := reqs[i]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := &res[i]
			if q.rev > 0 {
				r.rev, r.ok, r.err = c.update(ctx, q.key, q.instance, q.rev)
			} else {
				r.rev, r.ok, r.err = c.create(ctx, q.key, q.instance)
			}
		}()
	}
	wg.Wait()
	return res
}

// pipeline publishes every new claim at once, expecting the key's last
// revision the mirror knows (0 for a key never written, the delete marker
// for a released one): what KeyValue.Create does, minus its round trips.
// A mismatch (a stale mirror, or the key is held) goes back to the
// one-by-one path, which tells the two apart; so do handovers and keys
// the mirror knows as held, which must never be written over.
func (c *claims) pipeline(ctx context.Context, reqs []claimReq, res []claimResult, slow []int) []int {
	futs := make([]jetstream.PubAckFuture, len(reqs))
	for i, q := range reqs {
		last, held := c.lastRevision(q.key)
		if q.rev > 0 || held {
			slow = append(slow, i)
			continue
		}
		m := nats.NewMsg(kvSubjectPrefix + q.key)
		m.Data = []byte(q.instance)
		f, err := c.pub.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(last))
		if err != nil {
			slow = append(slow, i)
			continue
		}
		futs[i] = f
	}
	for i, f := range futs {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			res[i] = claimResult{rev: ack.Sequence, ok: true}
			c.apply(reqs[i].key, reqs[i].instance, ack.Sequence, c.clock(), true)
		case err := <-f.Err():
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) || errors.Is(err, jetstream.ErrKeyExists) {
				slow = append(slow, i) // most likely a revision mismatch
			} else {
				res[i].err = err
			}
		case <-ctx.Done():
			res[i].err = ctx.Err()
		}
	}
	return slow
}

// kvSubjectPrefix is where the bucket's keys are written (the KV layout of
// a bucket without a JetStream domain).
const kvSubjectPrefix = "$KV." + events.BucketPorts + "."

// lastRevision is the key's latest revision the mirror knows (0 if none)
// and whether it is a live claim.
func (c *claims) lastRevision(key string) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if cl := c.byKey[key]; cl != nil {
		return cl.rev, cl.live
	}
	return 0, false
}
