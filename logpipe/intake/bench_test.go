package intake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
)

// BenchmarkIntakeTCP measures lines per second over one TCP connection,
// Docker's rfc5424micro format, parsed, enriched and acknowledged by
// JetStream (stored in BERTH_LOGS).
func BenchmarkIntakeTCP(b *testing.B) {
	js, err := jetstream.New(natstest.Connect(b, natstest.Start(b)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		b.Fatal(err)
	}
	pub, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		b.Fatal(err)
	}
	cache := enrich.NewCache()
	cache.Set("web-3f2a1c", enrich.InstanceInfo{App: "web", Host: "h1"})
	srv, _ := start(b, intake.Config{DisableUDP: true}, enrich.New(cache).Wrap(pub))
	c := dial(b, "tcp", srv.TCPAddr())

	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	line := func(i int) string {
		return fmt.Sprintf("<30>1 %s dockerhost web/web-3f2a1c 4711 web/web-3f2a1c - GET /api/items/%d 200 12.3ms\n", ts, i)
	}
	b.SetBytes(int64(len(line(0))))
	b.ResetTimer()
	t0 := time.Now()
	writeErr := make(chan error, 1)
	go func() {
		var buf strings.Builder
		for i := range b.N {
			buf.WriteString(line(i))
			if buf.Len() >= 64<<10 || i == b.N-1 {
				if _, err := c.Write([]byte(buf.String())); err != nil {
					writeErr <- err
					return
				}
				buf.Reset()
			}
		}
		writeErr <- nil
	}()
	for srv.Stats().Published < uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	if err := <-writeErr; err != nil {
		b.Fatal(err)
	}
	if st := srv.Stats(); st.Malformed != 0 || st.Dropped != 0 {
		b.Fatalf("stats %+v", st)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "lines/s")
}
