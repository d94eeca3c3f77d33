package localstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

// Search returns the newest q.Limit matching records, oldest first.
func (s *Store) Search(ctx context.Context, q search.Query) ([]record.Record, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("search logs: %w", err)
	}
	sql, args := searchSQL(q.WithDefaults())
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search logs: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (record.Record, error) {
		var r record.Record
		err := row.Scan(&r.ID, &r.Time, &r.App, &r.Instance, &r.Host, &r.Stream, &r.Severity, &r.Message, &r.Raw, &r.Malformed)
		r.Time = r.Time.UTC()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("search logs: %w", err)
	}
	return search.OldestFirst(recs), nil
}

// searchSQL builds the query for q, newest first.
func searchSQL(q search.Query) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.App != "" {
		add("app = $%d", q.App)
	}
	if q.Instance != "" {
		add("instance = $%d", q.Instance)
	}
	if strings.TrimSpace(q.Text) != "" {
		add("message_tsv @@ plainto_tsquery('simple', $%d)", q.Text)
	}
	if !q.Since.IsZero() {
		add("time >= $%d", q.Since)
	}
	if !q.Until.IsZero() {
		add("time <= $%d", q.Until)
	}
	sql := "SELECT id, time, app, instance, host, stream, severity, message, raw, malformed FROM log_records"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	sql += fmt.Sprintf(" ORDER BY time DESC, id DESC LIMIT $%d", len(args))
	return sql, args
}
