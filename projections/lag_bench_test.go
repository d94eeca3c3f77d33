package projections

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/projections/pgserver"
)

// BenchmarkProjectionLag appends events at a steady rate (b.N of them:
// -benchtime=3000x is three seconds at 1,000/s) while every projector
// runs, and reports how long after its append each event was committed by
// all projectors (visible in every read model): p50, p99 and max, once
// the projectors are running (start-up is not lag). At 200/s the
// projectors keep up; 1,000/s is the target load.
//
// The test clusters run with fsync off; the fsync=on cases use a private
// cluster that flushes its WAL as a production one does.
func BenchmarkProjectionLag(b *testing.B) {
	for _, rate := range []int{200, 1000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchmarkLag(b, newHarness(b), rate) })
	}
	b.Run("rate=1000/fsync=on", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: b.TempDir(), StopWithParent: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = srv.Stop(context.Background()) })
		benchmarkLag(b, newHarnessOn(b, srv.DSN()), 1000)
	})
}

func benchmarkLag(b *testing.B, h *harness, rate int) {
	r := h.runner()
	evs := workload(11, b.N+4)

	var (
		mu        sync.Mutex
		appended  = map[uint64]time.Time{}
		committed = map[uint64]map[string]bool{} // projectors done with the event
		lags      []time.Duration
	)
	r.afterCommit = func(name string, seq uint64) error {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if committed[seq] == nil {
			committed[seq] = map[string]bool{}
		}
		if committed[seq][name] {
			return nil // a redelivery
		}
		committed[seq][name] = true
		if len(committed[seq]) == len(all()) {
			if t0, ok := appended[seq]; ok {
				lags = append(lags, now.Sub(t0))
			}
		}
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	// Steady state: the first event, applied before the clock starts,
	// takes the start-up (consumers, connections, prepared statements).
	h.waitAll(h.append(evs[0]))

	b.ResetTimer()
	start := time.Now()
	var last uint64
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			time.Sleep(wait)
		}
		t0 := time.Now()
		// Recorded before the append returns its sequence: the projectors
		// may commit first, so the time goes in under the lock afterwards
		// and a commit that beat it is counted then.
		seq := h.append(evs[i+1])
		mu.Lock()
		appended[seq] = t0
		if len(committed[seq]) == len(all()) {
			lags = append(lags, time.Since(t0))
		}
		mu.Unlock()
		last = seq
	}
	appendRate := float64(b.N) / time.Since(start).Seconds()
	h.waitAll(last)
	b.StopTimer()
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(lags) != b.N {
		b.Fatalf("measured %d lags for %d events", len(lags), b.N)
	}
	slices.Sort(lags)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lags[len(lags)/2]), "p50-lag-ms")
	b.ReportMetric(ms(lags[len(lags)*99/100]), "p99-lag-ms")
	b.ReportMetric(ms(lags[len(lags)-1]), "max-lag-ms")
	b.ReportMetric(appendRate, "appends/s")
}
