package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/webhooks"
)

// arrivals counts, per hook path, the events a fast receiver accepted and
// when each first arrived.
type arrivals struct {
	mu        sync.Mutex
	n         map[string]int
	first     map[string]time.Time // hook path + id
	byRep     map[int]time.Time    // data.replicas, for the lag benchmark
	hooksSeen map[string]bool
	all       int
	done      chan struct{}
	want      int
}

func newArrivals(want int) *arrivals {
	return &arrivals{n: map[string]int{}, first: map[string]time.Time{}, byRep: map[int]time.Time{}, hooksSeen: map[string]bool{}, done: make(chan struct{}), want: want}
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	var ce struct {
		ID   string
		Data struct{ Replicas int }
	}
	_ = json.Unmarshal(body, &ce)
	a.mu.Lock()
	defer a.mu.Unlock()
	key := r.URL.Path + " " + ce.ID
	if _, dup := a.first[key]; dup {
		return
	}
	a.first[key] = now
	a.hooksSeen[r.URL.Path] = true
	a.byRep[ce.Data.Replicas] = now
	a.all++
	if a.all == a.want {
		close(a.done)
	}
}

// BenchmarkDelivery: events/s from a backlog of b.N events to a fast
// loopback receiver, through the whole path (JetStream consumer per
// hook, Watermill router, signing, POST, the deliveries rows in
// Postgres, ack), against a plain net/http loop posting the same signed
// bodies (one sequential poster per hook, as ordering requires).
func BenchmarkDelivery(b *testing.B) {
	for _, nHooks := range []int{1, 50} {
		b.Run(fmt.Sprintf("hooks=%d/berth", nHooks), func(b *testing.B) { benchBerth(b, nHooks) })
		b.Run(fmt.Sprintf("hooks=%d/net-http", nHooks), func(b *testing.B) { benchPlain(b, nHooks) })
	}
}

func benchEnv(b *testing.B) *env { return newEnvTB(b) }

func benchBerth(b *testing.B, nHooks int) {
	e := benchEnv(b)
	arr := newArrivals(b.N * nHooks)
	srv := httptest.NewServer(arr)
	b.Cleanup(srv.Close)
	for i := range nHooks {
		e.addHook(hooks.Put{Name: fmt.Sprintf("h%d", i), URL: fmt.Sprintf("%s/h%d", srv.URL, i)})
	}
	for i := range b.N {
		ev := events.AppScaled{App: "web", Replicas: i + 1, Previous: i}
		if _, err := e.store.Append(context.Background(), ev.Aggregate(), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	e.startWorker()
	// The clock starts once every hook's handler runs (its first event
	// arrived): consumer creation and start-up are not throughput.
	var start time.Time
	var base int
	for start.IsZero() {
		arr.mu.Lock()
		if len(arr.hooksSeen) == nHooks {
			start, base = time.Now(), arr.all
		}
		arr.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	select {
	case <-arr.done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d deliveries", arr.all, arr.want)
	}
	b.ReportMetric(float64(b.N*nHooks-base)/time.Since(start).Seconds(), "deliveries/s")
}

func benchPlain(b *testing.B, nHooks int) {
	arr := newArrivals(b.N * nHooks)
	srv := httptest.NewServer(arr)
	b.Cleanup(srv.Close)
	bodies := make([][]byte, b.N)
	for i := range b.N {
		env, err := events.Wrap(events.AppScaled{App: "web", Replicas: i + 1, Previous: i}, "bench", "", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bodies[i], _ = json.Marshal(env)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: nHooks}}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for h := range nHooks {
		wg.Go(func() {
			for _, body := range bodies {
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/h%d", srv.URL, h), bytes.NewReader(body))
				req.Header.Set("Content-Type", webhooks.ContentType)
				req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(testSecret, time.Now(), body))
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	<-arr.done
	b.ReportMetric(float64(b.N*nHooks)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkAppendToDelivery: from calling append until the receiver has
// the event, at a steady 50
// events/s with one hook; p50 and p99 over b.N events.
func BenchmarkAppendToDelivery(b *testing.B) {
	e := benchEnv(b)
	arr := newArrivals(b.N + 1)
	srv := httptest.NewServer(arr)
	b.Cleanup(srv.Close)
	e.addHook(hooks.Put{Name: "h0", URL: srv.URL + "/h0"})
	e.startWorker()
	appended := map[int]time.Time{} // by replicas, set when the append was called
	appendOne := func(i int) {
		ev := events.AppScaled{App: "web", Replicas: i + 1, Previous: i}
		appended[i+1] = time.Now()
		if _, err := e.store.Append(context.Background(), ev.Aggregate(), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	appendOne(0) // the first event pays for the consumer's start
	for {
		arr.mu.Lock()
		n := arr.all
		arr.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ResetTimer()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 1; i <= b.N; i++ {
		<-tick.C
		appendOne(i)
	}
	<-arr.done
	b.StopTimer()
	var lags []time.Duration
	arr.mu.Lock()
	for r, at := range appended {
		if r > 1 {
			lags = append(lags, arr.byRep[r].Sub(at))
		}
	}
	arr.mu.Unlock()
	slices.Sort(lags)
	if len(lags) > 0 {
		b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
	}
}
