package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// heartbeatLoop writes the host's heartbeat every interval. Failures are
// logged and the next beat tries again; they never touch containers.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	tick := time.NewTicker(a.cfg.HeartbeatInterval)
	defer tick.Stop()
	var kv jetstream.KeyValue
	failing := false
	for {
		var err error
		if kv == nil {
			kv, err = events.OpenBucket(ctx, a.js, events.BucketHeartbeats)
		}
		if kv != nil {
			err = a.beat(ctx, kv)
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			a.log.Warn("heartbeat failed", "err", err)
			failing = true
		case err == nil && failing:
			a.log.Info("heartbeat resumed")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (a *Agent) beat(ctx context.Context, kv jetstream.KeyValue) error {
	body, err := json.Marshal(events.Heartbeat{
		Host:       a.cfg.HostID,
		Addr:       a.cfg.Addr,
		Time:       time.Now().UTC(),
		Containers: int(a.running.Load()),
	})
	if err != nil {
		return fmt.Errorf("encode heartbeat: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HeartbeatInterval)
	defer cancel()
	if _, err := kv.Put(ctx, a.cfg.HostID, body); err != nil {
		return fmt.Errorf("put heartbeat: %w", err)
	}
	return nil
}
