package webhooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what the worker needs of Postgres; *pgxpool.Pool has it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// record is one delivery attempt as stored in hook_deliveries.
type record struct {
	hook, eventID, eventType, subject string
	seq                               uint64
	attempt                           int
	a                                 attempt
}

// Outcomes in hook_deliveries.outcome.
const (
	outcomeDelivered = "delivered"
	outcomeFailed    = "failed"
	outcomeDead      = "dead"
)

// recorder writes the deliveries read model and each receiver's health.
type recorder struct {
	db  DB
	now func() time.Time
}

// attempt stores one attempt and updates the hook's health, returning
// since when the receiver has been failing (zero when it is healthy).
// A rejection (4xx) says the receiver is up: it does not change health.
func (r recorder) attempt(ctx context.Context, rec record) (time.Time, error) {
	outcome := outcomeFailed
	if rec.a.ok() {
		outcome = outcomeDelivered
	}
	now := r.now()
	if err := r.insert(ctx, rec, outcome, now); err != nil {
		return time.Time{}, err
	}
	var since *time.Time
	var err error
	switch {
	case rec.a.ok():
		_, err = r.db.Exec(ctx, `INSERT INTO hook_status (hook, failing_since, last_success) VALUES ($1, NULL, $2)
			ON CONFLICT (hook) DO UPDATE SET failing_since = NULL, last_success = $2, last_error = ''`, rec.hook, now)
	case rec.a.permanent():
		return time.Time{}, nil
	default:
		err = r.db.QueryRow(ctx, `INSERT INTO hook_status (hook, failing_since, last_error) VALUES ($1, $2, $3)
			ON CONFLICT (hook) DO UPDATE SET failing_since = coalesce(hook_status.failing_since, $2), last_error = $3
			RETURNING failing_since`, rec.hook, now, clip(rec.a.summary(), 500)).Scan(&since)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("update status of hook %s: %w", rec.hook, err)
	}
	if since == nil {
		return time.Time{}, nil
	}
	return *since, nil
}

// dead stores a dead letter: the event was given up, with the reason and
// the last answer.
func (r recorder) dead(ctx context.Context, rec record, reason string) error {
	rec.a.err = nil
	return r.insertWith(ctx, rec, outcomeDead, r.now(), reason)
}

func (r recorder) insert(ctx context.Context, rec record, outcome string, at time.Time) error {
	return r.insertWith(ctx, rec, outcome, at, rec.a.summary())
}

func (r recorder) insertWith(ctx context.Context, rec record, outcome string, at time.Time, errText string) error {
	_, err := r.db.Exec(ctx, `INSERT INTO hook_deliveries
		(hook, event_id, event_seq, event_type, subject, attempt, attempted_at, status_code, latency_ms, outcome, error, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		rec.hook, rec.eventID, int64(rec.seq), rec.eventType, rec.subject, rec.attempt, at,
		rec.a.status, rec.a.latency, outcome, clip(errText, 2000), clip(strings.ToValidUTF8(strings.ReplaceAll(rec.a.response, "\x00", ""), "?"), 4096))
	if err != nil {
		return fmt.Errorf("record delivery of %s to hook %s: %w", rec.eventID, rec.hook, err)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
