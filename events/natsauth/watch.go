package natsauth

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Watch re-reads the directory every interval and calls apply when the
// users changed, so a host added with `berth nats-key host` can join a
// running server, and a removed key is cut off. It returns when ctx ends.
func (d Directory) Watch(ctx context.Context, every time.Duration, current []*server.NkeyUser, apply func([]*server.NkeyUser) error) {
	last := fingerprint(current)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		users, err := d.Users()
		if err != nil {
			slog.Warn("nats credentials unreadable; keeping the current users", "dir", d.Dir, "err", err)
			continue
		}
		if fp := fingerprint(users); fp != last {
			if err := apply(users); err != nil {
				slog.Warn("nats users not reloaded", "err", err)
				continue
			}
			last = fp
			slog.Info("nats users reloaded", "users", len(users))
		}
	}
}

func fingerprint(users []*server.NkeyUser) string {
	b, _ := json.Marshal(users)
	return string(b)
}
