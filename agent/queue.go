package agent

import (
	"context"
	"sync"
	"time"
)

// queue runs work per key: one run at a time for a key, at most limit
// keys at once. Adding a key while it runs makes it run once more
// afterwards (adds coalesce), so each run works from fresh state. A run
// that fails is retried with capped exponential backoff.
type queue struct {
	ctx  context.Context
	work func(ctx context.Context, key string) error
	sem  chan struct{}
	wg   sync.WaitGroup

	retryMin, retryMax time.Duration
	onRetry            func(key string, err error, after time.Duration)

	mu    sync.Mutex
	items map[string]*queueItem
}

type queueItem struct {
	dirty bool // added again while running
}

func newQueue(ctx context.Context, limit int, work func(context.Context, string) error) *queue {
	return &queue{
		ctx:      ctx,
		work:     work,
		sem:      make(chan struct{}, limit),
		retryMin: 500 * time.Millisecond,
		retryMax: 30 * time.Second,
		items:    map[string]*queueItem{},
	}
}

// Add asks for key to be worked on.
func (q *queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctx.Err() != nil {
		return
	}
	if it, ok := q.items[key]; ok {
		it.dirty = true
		return
	}
	it := &queueItem{}
	q.items[key] = it
	q.wg.Add(1)
	go q.loop(key, it)
}

// Wait returns once every run has ended; call it after ctx is done.
func (q *queue) Wait() { q.wg.Wait() }

func (q *queue) loop(key string, it *queueItem) {
	defer q.wg.Done()
	backoff := q.retryMin
	for {
		err := q.runOnce(key, it)
		if q.ctx.Err() != nil {
			return
		}
		if err != nil {
			if q.onRetry != nil {
				q.onRetry(key, err, backoff)
			}
			select {
			case <-q.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, q.retryMax)
			continue
		}
		backoff = q.retryMin
		q.mu.Lock()
		if !it.dirty {
			delete(q.items, key)
			q.mu.Unlock()
			return
		}
		it.dirty = false
		q.mu.Unlock()
	}
}

func (q *queue) runOnce(key string, it *queueItem) error {
	select {
	case q.sem <- struct{}{}:
	case <-q.ctx.Done():
		return q.ctx.Err()
	}
	defer func() { <-q.sem }()
	// Clear dirty first: adds from here on ask for another run.
	q.mu.Lock()
	it.dirty = false
	q.mu.Unlock()
	return q.work(q.ctx, key)
}
