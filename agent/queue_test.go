package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQueueSerialisesKeysAndBoundsConcurrency(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const limit = 3
	var (
		mu        sync.Mutex
		perKey    = map[string]int{}
		runs      = map[string]int{}
		active    int
		maxActive int
		overlap   atomic.Bool
	)
	release := make(chan struct{})
	q := newQueue(ctx, limit, func(ctx context.Context, key string) error {
		mu.Lock()
		perKey[key]++
		if perKey[key] > 1 {
			overlap.Store(true)
		}
		runs[key]++
		active++
		maxActive = max(maxActive, active)
		mu.Unlock()
		<-release
		mu.Lock()
		perKey[key]--
		active--
		mu.Unlock()
		return nil
	})
	for i := range 10 {
		q.Add(fmt.Sprint("k", i%5))
		q.Add(fmt.Sprint("k", i%5))
	}
	close(release)
	waitUntil(t, func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.items) == 0
	})
	cancel()
	q.Wait()
	if overlap.Load() {
		t.Error("a key ran twice at once")
	}
	if maxActive > limit {
		t.Errorf("%d runs at once, limit %d", maxActive, limit)
	}
	for i := range 5 {
		k := fmt.Sprint("k", i)
		// Four adds of each key coalesce into one run, plus at most one
		// for the adds made while it ran.
		if runs[k] < 1 || runs[k] > 2 {
			t.Errorf("%s ran %d times, want 1 or 2", k, runs[k])
		}
	}
}

func TestQueueRetriesFailures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	done := make(chan struct{})
	q := newQueue(ctx, 1, func(ctx context.Context, key string) error {
		if calls.Add(1) < 3 {
			return errors.New("engine unavailable")
		}
		close(done)
		return nil
	})
	q.retryMin, q.retryMax = time.Millisecond, 2*time.Millisecond
	var retried atomic.Int32
	q.onRetry = func(string, error, time.Duration) { retried.Add(1) }
	q.Add("k")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("work never succeeded")
	}
	cancel()
	q.Wait()
	if retried.Load() != 2 {
		t.Errorf("retried %d times, want 2", retried.Load())
	}
}

func TestQueueAddDuringRunRunsAgain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	q := newQueue(ctx, 1, func(ctx context.Context, key string) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return nil
	})
	q.Add("k")
	<-started
	q.Add("k")
	close(release)
	waitUntil(t, func() bool { return calls.Load() == 2 })
	cancel()
	q.Wait()
}

// waitUntil polls cond for up to 10s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
