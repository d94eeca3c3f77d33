package localstore_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/logpipe/localstore"
	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
	"github.com/berth-dev/berth/logpipe/search/searchtest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) (*localstore.Store, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrate(t, dsn)
	return localstore.New(pool), pool
}

func TestSuite(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) searchtest.Store {
		s, _ := newStore(t)
		return s
	})
}

// migrate applies the project's migrations, which own the log table.
func migrate(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(context.Background(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func TestStoresTextPostgresWouldReject(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r := record.Record{ID: record.NewID(), Time: time.Now(), App: "web", Message: "nul\x00 and \xff bytes", Raw: "\x00raw"}
	if err := s.Index(ctx, []record.Record{r}); err != nil {
		t.Fatalf("index: %v", err)
	}
	got, err := s.Search(ctx, search.Query{App: "web", Text: "bytes"})
	if err != nil || len(got) != 1 {
		t.Fatalf("search: %v %v", got, err)
	}
	if !strings.Contains(got[0].Message, "nul") || strings.ContainsRune(got[0].Message, 0) {
		t.Fatalf("message stored as %q", got[0].Message)
	}
}

func TestPrune(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	now := time.Now()
	old := record.Record{ID: record.NewID(), Time: now.Add(-100 * time.Hour), App: "web", Message: "old"}
	fresh := record.Record{ID: record.NewID(), Time: now, App: "web", Message: "fresh"}
	if err := s.Index(ctx, []record.Record{old, fresh}); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx, now.Add(-72*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune removed %d, %v; want 1", n, err)
	}
	got, err := s.Search(ctx, search.Query{App: "web"})
	if err != nil || len(got) != 1 || got[0].Message != "fresh" {
		t.Fatalf("after prune: %v %v", got, err)
	}
}
