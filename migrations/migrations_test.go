package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUpCreatesTablesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	// Servers starting together must not trip over each other.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() { errs <- migrations.Up(ctx, db) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Up: %v", err)
		}
	}
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	for _, table := range []string{"apps", "instances", "hosts", "endpoints", "app_events", "projection_checkpoints", "projection_skipped", "log_records",
		"releases", "release_instances", "rollouts", "rollout_steps"} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	files, _ := filepath.Glob("*.sql")
	v, err := migrations.Version(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Files are numbered with gaps (parallel branches take distinct
	// numbers), so the version is the highest file's number.
	var highest int64
	for _, f := range files {
		n, err := strconv.ParseInt(strings.SplitN(f, "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		highest = max(highest, n)
	}
	if v != highest {
		t.Fatalf("schema version %d, want %d (the highest file's)", v, highest)
	}
}
