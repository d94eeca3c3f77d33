package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// delivery is one event as a projector receives it.
type delivery struct {
	projector string
	seq       uint64
	subject   string
	body      []byte
}

// gapChecker confirms that no event of the stream lies strictly between
// two sequences, so none is skipped by mistake.
type gapChecker func(ctx context.Context, after, seq uint64) error

// checkpoints runs each event's effect and the projector's checkpoint in
// one transaction, which is what makes redelivery harmless.
type checkpoints struct {
	db     *pgxpool.Pool
	gapped gapChecker
}

// once applies fn for d unless the projector already did, then moves the
// checkpoint to d.seq, all in one transaction. It reports whether fn ran.
// The checkpoint row is locked first, so two deliveries of one event (a
// redelivery racing a slow first attempt, or two servers) serialise and
// the second sees it done.
func (c checkpoints) once(ctx context.Context, d delivery, fn func(pgx.Tx) error) (bool, error) {
	tx, err := c.db.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var at int64
	err = tx.QueryRow(ctx, `INSERT INTO projection_checkpoints (projector, seq) VALUES ($1, 0)
		ON CONFLICT (projector) DO UPDATE SET seq = projection_checkpoints.seq
		RETURNING seq`, d.projector).Scan(&at)
	if err != nil {
		return false, fmt.Errorf("lock checkpoint of %s: %w", d.projector, err)
	}
	if d.seq <= uint64(at) {
		return false, nil
	}
	if d.seq > uint64(at)+1 && c.gapped != nil {
		if err := c.gapped(ctx, uint64(at), d.seq); err != nil {
			return false, fmt.Errorf("%s at %d got event %d: %w", d.projector, at, d.seq, err)
		}
	}
	if err := fn(tx); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET seq = $2 WHERE projector = $1`, d.projector, int64(d.seq)); err != nil {
		return false, fmt.Errorf("advance checkpoint of %s: %w", d.projector, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit %s event %d: %w", d.projector, d.seq, err)
	}
	return true, nil
}

// skip records d as skipped for reason and advances the checkpoint past it.
func (c checkpoints) skip(ctx context.Context, d delivery, reason string) (bool, error) {
	return c.once(ctx, d, func(tx pgx.Tx) error { return recordSkipped(ctx, tx, d, reason) })
}

func recordSkipped(ctx context.Context, db execer, d delivery, reason string) error {
	body := d.body
	if body == nil {
		body = []byte{}
	}
	_, err := db.Exec(ctx, `INSERT INTO projection_skipped (projector, seq, subject, reason, body)
		VALUES ($1, $2, $3, $4, $5)`, d.projector, int64(d.seq), d.subject, reason, body)
	if err != nil {
		return fmt.Errorf("record skipped event %d: %w", d.seq, err)
	}
	return nil
}

// positions reads every projector's checkpoint (0 when it has none).
func positions(ctx context.Context, db *pgxpool.Pool) (map[string]uint64, error) {
	rows, err := db.Query(ctx, `SELECT projector, seq FROM projection_checkpoints`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	out := map[string]uint64{}
	var (
		name string
		at   int64
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &at}, func() error {
		out[name] = uint64(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}

// errGap: an event arrived while an earlier one was never applied.
var errGap = errors.New("an earlier event was never applied; run `berth projections rebuild` if this persists")
