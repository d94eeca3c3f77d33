package localstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berth-dev/berth/logpipe/record"
)

// DB is the subset of a pgx pool the store uses.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Store keeps log records in the log_records table (migrations/00003_log_records.sql).
type Store struct {
	db DB
}

// New returns a store over db, whose schema is migrated (package migrations).
func New(db DB) *Store { return &Store{db: db} }

// insertSQL inserts a batch as parallel arrays in one statement; a record
// already present (a redelivery) is left as it is.
const insertSQL = `
INSERT INTO log_records (id, time, app, instance, host, stream, severity, message, raw, malformed)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[])
ON CONFLICT (id) DO NOTHING`

// Index stores recs idempotently by record ID.
func (s *Store) Index(ctx context.Context, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	n := len(recs)
	var (
		ids, apps, insts, hosts, streams, sevs, msgs, raws = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times     = make([]time.Time, n)
		malformed = make([]bool, n)
	)
	for i, r := range recs {
		ids[i], times[i] = r.ID, r.Time
		apps[i], insts[i], hosts[i] = record.Sanitize(r.App), record.Sanitize(r.Instance), record.Sanitize(r.Host)
		streams[i], sevs[i] = record.Sanitize(r.Stream), record.Sanitize(r.Severity)
		msgs[i], raws[i], malformed[i] = record.Sanitize(r.Message), record.Sanitize(r.Raw), r.Malformed
		if times[i].IsZero() {
			times[i] = time.Now()
		}
	}
	_, err := s.db.Exec(ctx, insertSQL, ids, times, apps, insts, hosts, streams, sevs, msgs, raws, malformed)
	if err != nil {
		return fmt.Errorf("insert %d log records: %w", n, err)
	}
	return nil
}

// Prune deletes records older than before, returning how many went; the
// caller runs it periodically to keep the table to its retention.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM log_records WHERE time < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune log records: %w", err)
	}
	return tag.RowsAffected(), nil
}
