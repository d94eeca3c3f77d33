package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Commits are asynchronous (synchronous_commit off), so a Postgres crash
// can lose the last few, rows and checkpoint together, whose events
// JetStream already has acks for: the consumer is then ahead of the
// checkpoint and would never deliver those events again. The checkpoint
// is the position; the consumer is only how events get here. Resetting a
// consumer to checkpoint+1 is therefore always safe (projection_advance
// turns away what was applied and refuses gaps) and costs redeliveries.
// It happens when a batch arrives past a gap that the ack floor says
// will not fill (gap), when the ack floor is ahead of the checkpoint at
// start (ensureConsumer), and when reconcile finds it so while no event
// arrives.

// resync restarts the projector's consumer after its checkpoint.
func (r *Runner) resync(ctx context.Context, name string) error {
	r.resyncMu.Lock()
	defer r.resyncMu.Unlock()
	at, err := checkpointOf(ctx, r.db, name)
	if err != nil {
		return err
	}
	if err := resetConsumer(ctx, r.js, consumerConfig(name, r.cfg.AckWait, r.cfg.BatchSize, at)); err != nil {
		return err
	}
	r.resets.Add(1)
	r.log.Warn("projection consumer reset to its checkpoint (commits lost in a database crash?)", "projector", name, "from", at+1)
	return nil
}

// reconcile checks every AckWait that no consumer's ack floor is ahead of
// its projector's checkpoint, which a database crash can leave behind
// with no later event to reveal it, and resyncs those that are.
func (r *Runner) reconcile(ctx context.Context) {
	t := time.NewTicker(r.cfg.AckWait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range r.projectors {
			if err := r.reconcileOne(ctx, p.name); err != nil && ctx.Err() == nil {
				r.log.Debug("projection reconcile", "projector", p.name, "err", err)
			}
		}
	}
}

func (r *Runner) reconcileOne(ctx context.Context, name string) error {
	// The floor first: an event is acked only after its commit is
	// visible, so a checkpoint read afterwards is at or past the floor
	// unless the commit was lost.
	floor, err := ackFloor(ctx, r.js, name)
	if err != nil {
		return err
	}
	at, err := checkpointOf(ctx, r.db, name)
	if err != nil {
		return err
	}
	if floor <= at {
		return nil
	}
	return r.resync(ctx, name)
}

// checkpointOf reads one projector's checkpoint (0 when it has none).
func checkpointOf(ctx context.Context, db querier, name string) (uint64, error) {
	var at int64
	err := db.QueryRow(ctx, `SELECT seq FROM projection_checkpoints WHERE projector = $1`, name).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint of %s: %w", name, err)
	}
	return uint64(at), nil
}

// querier is the part of a pool checkpointOf uses.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
