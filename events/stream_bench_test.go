package events_test

import (
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// BenchmarkIdleStreams holds 300 idle stream clients (at the tail of an
// ~8 MB history) and reports the heap they cost, NATS server included as
// it runs in this process: go test -run '^$' -bench IdleStreams -benchtime 1x ./events/
func BenchmarkIdleStreams(b *testing.B) {
	const clients = 300
	for range b.N {
		b.StopTimer()
		ns := natstest.Start(b)
		cmds := natstest.StoreOn(b, natstest.Connect(b, ns), "bench")
		streams := natstest.StoreOn(b, natstest.Connect(b, ns), "bench")
		historyB(b, cmds, "web", 4000, 2048)
		srv := httptest.NewServer(streams.StreamHandler(events.StreamConfig{MaxStreams: clients}))
		before := heap()
		b.StartTimer()
		var open []*sse
		for range clients {
			s := openStreamB(b, srv.URL+"/v1/events/stream")
			if _, err := s.r.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
			open = append(open, s)
		}
		b.StopTimer()
		after := heap()
		b.ReportMetric(float64(after-before)/(1<<20), "MB-heap/300-clients")
		for _, s := range open {
			s.close()
		}
		srv.Close()
	}
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
