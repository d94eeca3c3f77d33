package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

// gapError: the batch's next event lies past a hole at the checkpoint,
// and the stream still holds the hole's events.
type gapError struct {
	at  uint64 // the checkpoint
	err error
}

func (e *gapError) Error() string { return e.err.Error() }
func (e *gapError) Unwrap() error { return e.err }

// commit applies items, in stream order, in as few transactions as it
// can: normally one. It returns how many items from the front are settled
// (committed, or turned away as applied before) and why the rest are not:
// a *gapError, or a transient failure worth retrying. Poison events are
// recorded as skipped in the same transaction as the rest, so they never
// hold the batch up.
func (c checkpoints) commit(ctx context.Context, projector string, items []item) (int, error) {
	settled := 0
	for settled < len(items) {
		pending := items[settled:]
		at, err := c.tx(ctx, projector, pending)
		if err == nil {
			for i := range pending {
				pending[i].applied = true
			}
			return len(items), nil
		}
		var pgErr *pgconn.PgError
		isAdvance := errors.As(err, &pgErr) && (pgErr.Code == codeAlreadyApplied || pgErr.Code == codeGap)
		var cur int64
		if isAdvance {
			if cur, err = strconv.ParseInt(pgErr.Detail, 10, 64); err != nil {
				return settled, fmt.Errorf("checkpoint detail %q: %w", pgErr.Detail, err)
			}
		}
		switch {
		case isAdvance && pgErr.Code == codeAlreadyApplied:
			// A redelivery (after a crash between commit and ack, or
			// another server's batch): leave out what was applied.
			n := 0
			for n < len(pending) && pending[n].d.seq <= uint64(cur) {
				n++
			}
			if n == 0 {
				return settled, fmt.Errorf("%s at %d turned away event %d", projector, cur, pending[0].d.seq)
			}
			settled += n
		case isAdvance && at >= 0:
			it := &pending[at]
			if it.gapOK != nil && *it.gapOK == cur {
				return settled, fmt.Errorf("%s: %w", projector, pgErr) // can't happen: the function accepted cur
			}
			if gerr := c.gapped(ctx, uint64(cur), it.d.seq); gerr != nil {
				if at > 0 {
					// What comes before the hole can go in.
					n, err := c.commit(ctx, projector, pending[:at])
					if settled += n; err != nil {
						return settled, err
					}
				}
				gerr = fmt.Errorf("%s at %d got event %d: %w", projector, cur, it.d.seq, gerr)
				if errors.Is(gerr, errGap) {
					return settled, &gapError{at: uint64(cur), err: gerr}
				}
				return settled, gerr
			}
			it.gapOK = &cur // nothing lies between: try again, allowing it
		case isPoison(err) && at >= 0 && pending[at].skip != "":
			return settled, fmt.Errorf("%s: recording event %d as skipped: %w", projector, pending[at].d.seq, err)
		case isPoison(err) && at >= 0:
			pending[at].skipAs(firstLine(err.Error()), true)
		case isPoison(err):
			// Refused, but not by one statement (at commit): find the
			// event one at a time.
			if len(pending) == 1 {
				pending[0].skipAs(firstLine(err.Error()), true)
				continue
			}
			for i := range pending {
				n, err := c.commit(ctx, projector, pending[i:i+1])
				if settled += n; err != nil {
					return settled, err
				}
			}
		default:
			return settled, fmt.Errorf("%s event %d: %w", projector, pending[max(at, 0)].d.seq, err)
		}
	}
	return settled, nil
}

// skipAs replaces the item's statements by a skip record.
func (it *item) skipAs(reason string, poison bool) {
	it.skip, it.poison = reason, poison
	it.stmts = []statement{skipped(it.d, reason)}
}
