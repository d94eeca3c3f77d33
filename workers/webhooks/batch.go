package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// successes are recorded in batches, off the delivery path: a fast
// receiver would otherwise wait for two Postgres round trips per event.
// A crash can lose the last few success rows (an observability record);
// failures and dead letters are written before the event is settled.
type success struct {
	rec record
	at  time.Time
}

const (
	batchMax   = 512
	batchEvery = 50 * time.Millisecond
)

// runBatches writes queued successes until ctx ends, then the rest.
func (r *recorder) runBatches(ctx context.Context) {
	t := time.NewTicker(batchEvery)
	defer t.Stop()
	var buf []success
	flush := func() {
		if len(buf) == 0 {
			return
		}
		// Not cut short by shutdown: these events are already acked.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.flush(fctx, buf); err != nil {
			r.log.Warn("webhook successes not recorded", "rows", len(buf), "err", err)
		}
		buf = buf[:0]
	}
	for {
		select {
		case s := <-r.successes:
			buf = append(buf, s)
			if len(buf) >= batchMax {
				flush()
			}
		case <-t.C:
			flush()
		case <-ctx.Done():
			for {
				select {
				case s := <-r.successes:
					buf = append(buf, s)
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

// flush copies the rows in and moves each hook's last success, clearing
// a failure only if it began before that success (another server may
// have seen a newer one).
func (r *recorder) flush(ctx context.Context, buf []success) error {
	rows := make([][]any, 0, len(buf))
	last := map[string]time.Time{}
	for _, s := range buf {
		rows = append(rows, r.row(s.rec, outcomeDelivered, s.at, ""))
		if s.at.After(last[s.rec.hook]) {
			last[s.rec.hook] = s.at
		}
	}
	if _, err := r.db.CopyFrom(ctx, pgx.Identifier{"hook_deliveries"}, deliveryColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy deliveries: %w", err)
	}
	hooks := make([]string, 0, len(last))
	ats := make([]time.Time, 0, len(last))
	for hook, at := range last {
		hooks, ats = append(hooks, hook), append(ats, at)
	}
	return r.succeeded(ctx, hooks, ats)
}
