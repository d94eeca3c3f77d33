package commands_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
)

// benchStore starts a JetStream server (fsync before every ack when
// syncAlways) and opens the event store on it.
func benchStore(b *testing.B, syncAlways bool) (*events.Store, jetstream.JetStream) {
	b.Helper()
	srv, err := natsserver.Start(natsserver.Config{DataDir: b.TempDir(), Port: natsserver.RandomPort, SyncAlways: syncAlways})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	js, err := jetstream.New(natstest.Connect(b, srv))
	if err != nil {
		b.Fatal(err)
	}
	st, err := events.OpenStore(context.Background(), js, events.StoreConfig{Source: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return st, js
}

// BenchmarkAppend compares, on the same server and durability setting,
// raw JetStream publishes of an event-sized message with the full command
// path (validate, decide on cached state, append with the expected
// sequence and a message id). Run with -benchtime=2000x or more.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []bool{false, true} {
		mode := "lazy-fsync"
		if sync {
			mode = "fsync-always"
		}
		b.Run(mode+"/raw-jetstream", func(b *testing.B) {
			_, js := benchStore(b, sync)
			env, _ := events.Wrap(events.AppScaled{App: "web", Replicas: 3, Previous: 2, Cause: "manual"}, "bench", "", timeNow())
			body, _ := jsonMarshal(env)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := nats.NewMsg("berth.events.app.web.scaled")
				m.Data = body
				m.Header.Set(jetstream.MsgIDHeader, fmt.Sprint(i))
				if _, err := js.PublishMsg(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
		for _, apps := range []int{1, 1000} {
			b.Run(fmt.Sprintf("%s/command-path-%d-apps", mode, apps), func(b *testing.B) {
				st, _ := benchStore(b, sync)
				h := commands.NewHandler(st, "bench")
				ctx := context.Background()
				for a := 0; a < apps; a++ {
					one := 1
					name := fmt.Sprintf("app%d", a)
					if _, err := h.Execute(ctx, name, "", commands.Deploy{App: name, Image: "nginx", Replicas: &one}.Decide); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					name := fmt.Sprintf("app%d", i%apps)
					if _, err := h.Execute(ctx, name, "", commands.Scale{App: name, Replicas: 2 + i%50}.Decide); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			})
		}
		b.Run(mode+"/command-path-1000-apps-parallel", func(b *testing.B) {
			st, _ := benchStore(b, sync)
			h := commands.NewHandler(st, "bench")
			ctx := context.Background()
			for a := 0; a < 1000; a++ {
				one := 1
				name := fmt.Sprintf("app%d", a)
				if _, err := h.Execute(ctx, name, "", commands.Deploy{App: name, Image: "nginx", Replicas: &one}.Decide); err != nil {
					b.Fatal(err)
				}
			}
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					name := fmt.Sprintf("app%d", i%1000)
					if _, err := h.Execute(ctx, name, "", commands.Scale{App: name, Replicas: 2 + i%50}.Decide); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}
