package agent

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// statsLoop samples every running container each interval and publishes
// the samples on core NATS; a sample that can't be taken or sent is
// skipped, the next one replaces it anyway.
func (a *Agent) statsLoop(ctx context.Context) {
	tick := time.NewTicker(a.cfg.StatsInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		a.sampleAll(ctx)
	}
}

func (a *Agent) sampleAll(ctx context.Context) {
	cs, err := a.rt.List(ctx, a.cfg.HostID)
	if err != nil {
		a.log.Debug("stats: list containers", "err", err)
		return
	}
	// A sample takes about a second; bound a round by the interval so
	// rounds never pile up.
	ctx, cancel := context.WithTimeout(ctx, max(a.cfg.StatsInterval, 2*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	running := 0
	for _, c := range cs {
		if !c.Running {
			continue
		}
		running++
		if c.App == "" || c.Instance == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cpu, mem, err := a.rt.Stats(ctx, c.ID)
			if err != nil {
				a.log.Debug("stats: sample", "instance", c.Instance, "err", err)
				return
			}
			a.publish(events.InstanceSample{App: c.App, Instance: c.Instance, Host: a.cfg.HostID,
				CPUPercent: cpu, MemBytes: mem, Time: time.Now().UTC()})
		}()
	}
	a.running.Store(int64(running))
	wg.Wait()
}

func (a *Agent) publish(s events.InstanceSample) {
	body, err := json.Marshal(s)
	if err != nil {
		a.log.Warn("stats: encode sample", "err", err)
		return
	}
	if err := a.nc.Publish(events.InstanceMetricsSubject(s.App), body); err != nil {
		a.log.Debug("stats: publish", "instance", s.Instance, "err", err)
	}
}
