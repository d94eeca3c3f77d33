package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// checkpoints applies each event's statements and the projector's
// checkpoint in one transaction, which is what makes redelivery harmless.
type checkpoints struct {
	db     *pgxpool.Pool
	gapped gapChecker
}

// SQLSTATEs raised by projection_advance (migrations/00002).
const (
	codeAlreadyApplied = "BE001"
	codeGap            = "BE002"
)

// once runs stmts for d unless the projector already applied d, moving
// its checkpoint to d.seq in the same transaction; it reports whether
// they ran. projection_advance goes first in one pipelined batch, which
// Postgres runs as one implicit transaction: if it raises, nothing of
// the batch stays. It locks the checkpoint row, so two deliveries of one
// event (a redelivery racing a slow first attempt, or two servers)
// serialise and the second is turned away.
func (c checkpoints) once(ctx context.Context, d delivery, stmts []statement) (bool, error) {
	var gapOK *int64
	for {
		b := &pgx.Batch{}
		b.Queue(`SELECT projection_advance($1, $2, $3)`, d.projector, int64(d.seq), gapOK)
		for _, s := range stmts {
			b.Queue(s.sql, s.args...)
		}
		err := c.db.SendBatch(ctx, b).Close()
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			return true, nil
		case errors.As(err, &pgErr) && pgErr.Code == codeAlreadyApplied:
			return false, nil
		case errors.As(err, &pgErr) && pgErr.Code == codeGap && c.gapped != nil:
			at, perr := strconv.ParseInt(pgErr.Detail, 10, 64)
			if perr != nil {
				return false, fmt.Errorf("gap detail %q: %w", pgErr.Detail, perr)
			}
			if gapOK != nil && *gapOK == at {
				return false, fmt.Errorf("%s: %w", d.projector, err) // can't happen: the function accepted at
			}
			if err := c.gapped(ctx, uint64(at), d.seq); err != nil {
				return false, fmt.Errorf("%s at %d got event %d: %w", d.projector, at, d.seq, err)
			}
			gapOK = &at // nothing lies between: try again, allowing it
		default:
			return false, fmt.Errorf("%s event %d: %w", d.projector, d.seq, err)
		}
	}
}

// skip records d as skipped for reason and advances the checkpoint past it.
func (c checkpoints) skip(ctx context.Context, d delivery, reason string) (bool, error) {
	return c.once(ctx, d, []statement{skipped(d, reason)})
}

func skipped(d delivery, reason string) statement {
	body := d.body
	if body == nil {
		body = []byte{}
	}
	return stmt(`INSERT INTO projection_skipped (projector, seq, subject, reason, body) VALUES ($1, $2, $3, $4, $5)`,
		d.projector, int64(d.seq), d.subject, reason, body)
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
