package dashboard_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// fleet deploys apps apps with three healthy instances each over hosts hosts.
func fleet(b *testing.B, e *env, apps, hosts int) {
	b.Helper()
	for h := 0; h < hosts; h++ {
		e.append(b, events.HostRegistered{Host: fmt.Sprintf("bh%d", h), Addr: fmt.Sprintf("10.0.0.%d", h+1),
			Zone: fmt.Sprintf("zone-%c", 'a'+h%3), CPUs: 16, MemoryBytes: 64 << 30, PortMin: 20000, PortMax: 29999})
	}
	three := 3
	for a := 0; a < apps; a++ {
		name := fmt.Sprintf("app%03d", a)
		e.run(b, name, commands.Deploy{App: name, Image: "berth-testapp:latest", Replicas: &three}.Decide)
		for i := 0; i < 3; i++ {
			e.startInstance(b, name, fmt.Sprintf("%s-%06d", name, i), fmt.Sprintf("bh%d", (a+i)%hosts), 20000+a*3+i)
		}
		e.Dash.Metrics().AddGateway(events.GatewaySample{App: name, Gateway: "g", RPS: 12, P95MS: 40, Time: time.Now()})
	}
	natstest.Poll(b, 2*time.Minute, 100*time.Millisecond, "fleet projected", func() bool {
		as, err := e.Reads.Apps(context.Background())
		return err == nil && len(as) == apps && as[apps-1].Healthy == 3
	})
}

func authed(b *testing.B, url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// BenchmarkOverview200Apps renders the overview of 200 apps on 20 hosts
// through HTTP: ns/op is the server's render time plus a local round
// trip; bytes/page the page's weight (the HTML; CSS and JS are ~9 KB
// more, cached).
func BenchmarkOverview200Apps(b *testing.B) {
	e := start(b)
	fleet(b, e, 200, 20)
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := http.DefaultClient.Do(authed(b, e.URL+"/"))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
		size = int(n)
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkEventToPage appends events at 100/s and measures how long each
// takes to arrive on an open page's stream; it reports p50 and p99.
func BenchmarkEventToPage(b *testing.B) {
	e := start(b)
	fleet(b, e, 1, 1)
	resp, err := http.DefaultClient.Do(authed(b, e.URL+"/ui/stream?app=app000"))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	arrived := make(chan time.Time, 1024)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), `"kind":"app.scaled"`) {
				arrived <- time.Now()
			}
		}
	}()
	var lat []time.Duration
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		sent := time.Now()
		e.run(b, "app000", commands.Scale{App: "app000", Replicas: 1 + i%2*2}.Decide)
		lat = append(lat, (<-arrived).Sub(sent))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkMemoryPerPage opens b.N live streams (one per open page) and
// reports the heap and goroutines they hold, server and client side
// together: measured open, then again after closing them all.
func BenchmarkMemoryPerPage(b *testing.B) {
	e := start(b)
	fleet(b, e, 1, 1)
	heap := func() int64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	b.ResetTimer()
	var bodies []io.Closer
	for i := 0; i < b.N; i++ {
		resp, err := http.DefaultClient.Do(authed(b, e.URL+"/ui/stream?app=app000"))
		if err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReader(resp.Body)
		for { // up to the stream's first event: the page is live
			line, err := r.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(line, "data: ") {
				break
			}
		}
		bodies = append(bodies, resp.Body)
	}
	b.StopTimer()
	open, goroutines := heap(), runtime.NumGoroutine()
	for _, c := range bodies {
		c.Close()
	}
	natstest.Eventually(b, 10*time.Second, "streams closed", func() bool { return runtime.NumGoroutine() < goroutines-b.N })
	closed, after := heap(), runtime.NumGoroutine()
	b.ReportMetric(float64(open-closed)/float64(b.N), "heap-bytes/page")
	b.ReportMetric(float64(goroutines-after)/float64(b.N), "goroutines/page")
}
