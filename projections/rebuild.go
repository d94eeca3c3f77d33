package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Rebuild throws the read models away and replays the whole stream into
// them: it deletes the projectors' consumers, empties their tables,
// checkpoints and skip records in one transaction, then runs to the end of
// the stream. A later Run carries on live from there.
//
// Servers running projections meanwhile are fine: their fetches name the
// consumer, so they go on with the recreated one, and a batch one of
// them had in flight before the wipe fails the gap check instead of
// applying.
func (r *Runner) Rebuild(ctx context.Context) error {
	if !r.running.TryLock() {
		return fmt.Errorf("rebuild: projections are running in this process")
	}
	defer r.running.Unlock()
	for _, p := range r.projectors {
		if err := deleteConsumer(ctx, r.js, p.name); err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
	}
	if err := r.truncate(ctx); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := r.runToEnd(ctx); err != nil {
		return fmt.Errorf("rebuild: replay: %w", err)
	}
	return nil
}

func (r *Runner) truncate(ctx context.Context) error {
	var tables []string
	for _, p := range r.projectors {
		for _, t := range p.tables {
			tables = append(tables, pgx.Identifier{t}.Sanitize())
		}
	}
	tables = append(tables, "projection_checkpoints", "projection_skipped")
	// TRUNCATE is transactional in Postgres: one statement, one transaction.
	if _, err := r.db.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("truncate read models: %w", err)
	}
	return nil
}
