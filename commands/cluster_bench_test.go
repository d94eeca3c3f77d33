package commands_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

func clusterBenchStore(b *testing.B, c *natstest.Cluster) *events.Store {
	b.Helper()
	js, err := jetstream.New(c.Connect(b))
	if err != nil {
		b.Fatal(err)
	}
	st, err := events.OpenStore(context.Background(), js, events.StoreConfig{Replicas: 3, Source: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	c.WaitStreamCurrent(events.StreamName)
	return st
}

// BenchmarkClusterCommands runs the command path (scale, one app) on one
// embedded server and on a 3-node cluster with a 3-replica stream, side by
// side (both with JetStream's default lazy fsync), reporting throughput
// and p99 latency. Run with -benchtime=2000x.
func BenchmarkClusterCommands(b *testing.B) {
	for _, setup := range []string{"single-server", "3-node-cluster-R3"} {
		b.Run(setup, func(b *testing.B) {
			var st *events.Store
			if setup == "single-server" {
				st, _ = benchStore(b, false)
			} else {
				st = clusterBenchStore(b, natstest.StartCluster(b, 3))
			}
			h := commands.NewHandler(st, "bench")
			ctx := context.Background()
			one := 1
			if _, err := h.Execute(ctx, "web", "", commands.Deploy{App: "web", Image: "nginx", Replicas: &one}.Decide); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := h.Execute(ctx, "web", fmt.Sprint(i), commands.Scale{App: "web", Replicas: 2 + i%50}.Decide); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkLeaderDeathToCommand measures, per kill of the event stream's
// leader on a 3-node cluster, the time from the kill to the first
// successful command issued right after it (aim: under 5 s). Run with
// -benchtime=5x.
func BenchmarkLeaderDeathToCommand(b *testing.B) {
	c := natstest.StartCluster(b, 3)
	st := clusterBenchStore(b, c)
	h := commands.NewHandler(st, "bench")
	ctx := context.Background()
	one := 1
	if _, err := h.Execute(ctx, "web", "", commands.Deploy{App: "web", Image: "nginx", Replicas: &one}.Decide); err != nil {
		b.Fatal(err)
	}
	var total, worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		leader := c.WaitStreamLeader(events.StreamName)
		b.StartTimer()
		start := time.Now()
		c.Kill(leader)
		for attempt := 0; ; attempt++ {
			_, err := h.Execute(ctx, "web", fmt.Sprintf("k%d", i), commands.Scale{App: "web", Replicas: 2 + i%50}.Decide)
			if err == nil {
				break
			}
			if attempt == 10 {
				b.Fatal(err)
			}
		}
		d := time.Since(start)
		total, worst = total+d, max(worst, d)
		b.StopTimer()
		c.Restart(leader)
		c.WaitStreamCurrent(events.StreamName)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-command")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}
