package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what the worker needs of Postgres; *pgxpool.Pool has it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
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
	db        DB
	now       func() time.Time
	log       *slog.Logger
	successes chan success
	// healthy holds hooks whose last recorded attempt here succeeded:
	// their next successes need no synchronous status update.
	mu      sync.Mutex
	healthy map[string]bool
}

func newRecorder(db DB, log *slog.Logger) *recorder {
	return &recorder{db: db, now: time.Now, log: log, successes: make(chan success, 8*batchMax), healthy: map[string]bool{}}
}

func (r *recorder) isHealthy(hook string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.healthy[hook]
}

func (r *recorder) setHealthy(hook string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.healthy[hook] = ok
}

// attempt stores one attempt and updates the hook's health, returning
// since when the receiver has been failing (zero when it is healthy).
// A rejection (4xx) says the receiver is up: it does not change health.
func (r *recorder) attempt(ctx context.Context, rec record) (time.Time, error) {
	now := r.now()
	if rec.a.ok() {
		if r.isHealthy(rec.hook) {
			select {
			case r.successes <- success{rec: rec, at: now}:
				return time.Time{}, nil
			case <-ctx.Done():
				return time.Time{}, ctx.Err()
			}
		}
		if err := r.insert(ctx, rec, outcomeDelivered, now); err != nil {
			return time.Time{}, err
		}
		if err := r.succeeded(ctx, []string{rec.hook}, []time.Time{now}); err != nil {
			return time.Time{}, err
		}
		r.setHealthy(rec.hook, true)
		return time.Time{}, nil
	}
	if err := r.insert(ctx, rec, outcomeFailed, now); err != nil {
		return time.Time{}, err
	}
	if rec.a.permanent() {
		return time.Time{}, nil
	}
	r.setHealthy(rec.hook, false)
	var since *time.Time
	err := r.db.QueryRow(ctx, `INSERT INTO hook_status (hook, failing_since, last_error) VALUES ($1, $2, $3)
		ON CONFLICT (hook) DO UPDATE SET failing_since = coalesce(hook_status.failing_since, $2), last_error = $3
		RETURNING failing_since`, rec.hook, now, clip(rec.a.summary(), 500)).Scan(&since)
	if err != nil {
		return time.Time{}, fmt.Errorf("update status of hook %s: %w", rec.hook, err)
	}
	if since == nil {
		return time.Time{}, nil
	}
	return *since, nil
}

// succeeded records each hook's success at the matching time; it ends a
// failure that began before it (not one another server saw begin later).
func (r *recorder) succeeded(ctx context.Context, hooks []string, ats []time.Time) error {
	_, err := r.db.Exec(ctx, `INSERT INTO hook_status (hook, failing_since, last_success)
		SELECT h, NULL, t FROM unnest($1::text[], $2::timestamptz[]) AS u(h, t)
		ON CONFLICT (hook) DO UPDATE SET last_success = greatest(hook_status.last_success, EXCLUDED.last_success),
			failing_since = CASE WHEN hook_status.failing_since < EXCLUDED.last_success THEN NULL ELSE hook_status.failing_since END,
			last_error = CASE WHEN hook_status.failing_since < EXCLUDED.last_success THEN '' ELSE hook_status.last_error END`, hooks, ats)
	if err != nil {
		return fmt.Errorf("update status of hooks %v: %w", hooks, err)
	}
	return nil
}

// dead stores a dead letter: the event was given up, with the reason and
// the last answer.
func (r *recorder) dead(ctx context.Context, rec record, reason string) error {
	rec.a.err = nil
	return r.insertWith(ctx, rec, outcomeDead, r.now(), reason)
}

func (r *recorder) insert(ctx context.Context, rec record, outcome string, at time.Time) error {
	return r.insertWith(ctx, rec, outcome, at, rec.a.summary())
}

var deliveryColumns = []string{"hook", "event_id", "event_seq", "event_type", "subject", "attempt", "attempted_at",
	"status_code", "latency_ms", "outcome", "error", "response"}

// row is a hook_deliveries row in deliveryColumns' order.
func (r *recorder) row(rec record, outcome string, at time.Time, errText string) []any {
	return []any{rec.hook, rec.eventID, int64(rec.seq), rec.eventType, rec.subject, rec.attempt, at,
		rec.a.status, rec.a.latency, outcome, clip(errText, 2000), clip(strings.ToValidUTF8(strings.ReplaceAll(rec.a.response, "\x00", ""), "?"), 4096)}
}

func (r *recorder) insertWith(ctx context.Context, rec record, outcome string, at time.Time, errText string) error {
	_, err := r.db.Exec(ctx, `INSERT INTO hook_deliveries
		(hook, event_id, event_seq, event_type, subject, attempt, attempted_at, status_code, latency_ms, outcome, error, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, r.row(rec, outcome, at, errText)...)
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
