package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is what the pages need of Postgres beyond the read API;
// *pgxpool.Pool has it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// recentEvents are the newest app events of every app, newest first.
func recentEvents(ctx context.Context, db Querier, limit int) ([]EventRow, error) {
	rows, err := db.Query(ctx, `SELECT seq, time, app, type, data FROM app_events ORDER BY seq DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EventRow, error) {
		var (
			seq       int64
			t         time.Time
			app, kind string
			data      []byte
		)
		err := r.Scan(&seq, &t, &app, &kind, &data)
		return row(uint64(seq), t, app, kind, json.RawMessage(data)), err
	})
	if err != nil {
		return nil, fmt.Errorf("recent events: %w", err)
	}
	return out, nil
}

// placed is an instance holding a place on its host.
type placed struct {
	ID, App, Host, State string
}

// placedInstances lists instances that hold a place on a host, by host.
func placedInstances(ctx context.Context, db Querier) (map[string][]placed, error) {
	rows, err := db.Query(ctx, `SELECT id, app, host, state FROM instances
		WHERE state IN ('scheduled', 'running', 'healthy', 'unhealthy') ORDER BY app, id`)
	if err != nil {
		return nil, fmt.Errorf("placed instances: %w", err)
	}
	out := map[string][]placed{}
	var p placed
	_, err = pgx.ForEachRow(rows, []any{&p.ID, &p.App, &p.Host, &p.State}, func() error {
		out[p.Host] = append(out[p.Host], p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("placed instances: %w", err)
	}
	return out, nil
}

// projected is the stream sequence every read model has applied.
func projected(ctx context.Context, db Querier) (uint64, error) {
	var seq int64
	if err := db.QueryRow(ctx, `SELECT COALESCE(min(seq), 0) FROM projection_checkpoints`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read checkpoints: %w", err)
	}
	return uint64(seq), nil
}

// waitProjected returns once the read models have applied seq, or after
// at most wait: a page refreshed for an event then shows that event.
func waitProjected(ctx context.Context, db Querier, seq uint64, wait time.Duration) uint64 {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		at, err := projected(ctx, db)
		if err == nil && at >= seq {
			return at
		}
		select {
		case <-ctx.Done():
			return at
		case <-t.C:
		}
	}
}
