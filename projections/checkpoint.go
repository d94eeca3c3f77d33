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

// checkpoints applies events' statements and the projector's checkpoint
// in one transaction, which is what makes redelivery harmless.
type checkpoints struct {
	db     *pgxpool.Pool
	gapped gapChecker
}

// SQLSTATEs raised by projection_advance (migrations/00002).
const (
	codeAlreadyApplied = "BE001"
	codeGap            = "BE002"
)

// item is one event of a batch with the statements that apply it.
type item struct {
	d     delivery
	stmts []statement
	// gapOK is the checkpoint after which the stream confirmed that
	// nothing lies before d (events that aged out).
	gapOK *int64
	// skip says why the event is recorded as skipped (stmts then holds
	// the record); poison tells a refused event from an undecodable one.
	skip   string
	poison bool
	// applied is set once its transaction committed (not set for an
	// event turned away as applied before).
	applied bool
}

// tx runs items in one pipelined batch, which Postgres runs as one
// implicit transaction: for each, projection_advance, then its
// statements. projection_advance locks the projector's checkpoint row
// first thing, so two servers' batches for one projector serialise (and
// each projector writes only its own tables and row: no lock cycles). If
// anything raises, nothing of the batch stays; tx then says which item
// failed (-1 when no statement did, e.g. at commit).
func (c checkpoints) tx(ctx context.Context, projector string, items []item) (int, error) {
	b := &pgx.Batch{}
	var owner []int // the item each queued statement belongs to
	for i, it := range items {
		b.Queue(`SELECT projection_advance($1, $2, $3)`, projector, int64(it.d.seq), it.gapOK)
		owner = append(owner, i)
		for _, s := range it.stmts {
			b.Queue(s.sql, s.args...)
			owner = append(owner, i)
		}
	}
	br := c.db.SendBatch(ctx, b)
	for _, i := range owner {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return i, err
		}
	}
	return -1, br.Close()
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
