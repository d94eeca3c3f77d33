package pgtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewDBGivesEachTestItsOwnDatabase(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.NewDB(t), pgtest.NewDB(t)
	if a == b {
		t.Fatalf("two NewDB calls returned the same DSN %s", a)
	}
	if _, err := connect(t, a).Exec(ctx, "CREATE TABLE only_in_a (v int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	err := connect(t, b).QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("table leaked into second database: n=%d err=%v", n, err)
	}
	if pgtest.Server(t).Port() == 0 || !strings.Contains(a, "127.0.0.1") {
		t.Fatalf("DSN %s not on the shared loopback cluster", a)
	}
}

func TestNewDBIsDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("user", func(t *testing.T) {
		conn := connect(t, pgtest.NewDB(t))
		if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		// The open session must not keep the database from being dropped.
	})
	var exists bool
	err := connect(t, pgtest.Server(t).DSN()).QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil || exists {
		t.Fatalf("database %q still exists after cleanup (err=%v)", name, err)
	}
}

func TestParallelNewDB(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := connect(t, pgtest.NewDB(t)).Exec(context.Background(), "CREATE TABLE x (v int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewServerIsPrivate(t *testing.T) {
	srv := pgtest.NewServer(t)
	if srv.Port() == pgtest.Server(t).Port() {
		t.Fatal("NewServer returned the shared cluster")
	}
	if _, err := connect(t, srv.DSN()).Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}
