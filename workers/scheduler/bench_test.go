package scheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

// BenchmarkSchedulerPlacements places 100,000 instances of 100 apps on
// 1,000 simulated hosts through the full path: deploy commands, the
// scheduler's view, decisions appended by the command handler in atomic
// batches, and a port claim per instance. Reports placements/s from the
// first deploy until the last InstanceScheduled is in the stream.
func BenchmarkSchedulerPlacements(b *testing.B) {
	const hosts, apps, replicas = 1000, 100, 1000
	for range b.N {
		b.StopTimer()
		e := newEnv(b)
		for i := range hosts {
			id := fmt.Sprintf("host%04d", i)
			ev := events.HostRegistered{Host: id, Addr: fmt.Sprintf("127.0.%d.%d", i/250, i%250+1), Zone: fmt.Sprintf("z%d", i%10),
				CPUs: 64, MemoryBytes: 256 << 30, PortMin: 20000, PortMax: 29999}
			if _, err := e.store.Append(e.ctx, events.Host(id), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		s := e.start(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Resync: time.Minute})
		e.waitResyncs(1, s)

		var placed atomic.Int64
		done := make(chan struct{})
		ctx, cancel := context.WithCancel(e.ctx)
		go func() {
			_ = e.store.Follow(ctx, events.SubjectPrefix+".app.*.instance_scheduled", events.FollowOptions{}, func(events.Recorded) error {
				if placed.Add(1) == apps*replicas {
					close(done)
				}
				return nil
			})
		}()

		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		for i := range apps {
			e.deploy(fmt.Sprintf("app%03d", i), "img:1", replicas)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Minute):
			b.Fatalf("placed %d of %d", placed.Load(), apps*replicas)
		}
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		cancel()
		b.ReportMetric(float64(apps*replicas)/elapsed.Seconds(), "placements/s")
		b.ReportMetric(elapsed.Seconds(), "s/100k")
		// CPU of the whole process (scheduler, embedded NATS server, the
		// follower counting placements): steadier than wall time on a
		// shared machine.
		b.ReportMetric(cpu.Seconds(), "cpu-s/100k")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
