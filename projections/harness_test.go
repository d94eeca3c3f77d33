package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// harness is a real JetStream server with the event stream and a migrated
// Postgres database.
type harness struct {
	t     testing.TB
	nc    *nats.Conn
	js    jetstream.JetStream
	store *events.Store
	dsn   string
	db    *pgx.Conn
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, pgtest.NewDB(t))
}

// newHarnessOn is newHarness over the database at dsn.
func newHarnessOn(t testing.TB, dsn string) *harness {
	t.Helper()
	ctx := context.Background()
	nc := natstest.Connect(t, natstest.Start(t))
	store := natstest.StoreOn(t, nc, "test")
	js := store.JetStream()
	sqlDB, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return &harness{t: t, nc: nc, js: js, store: store, dsn: dsn, db: db}
}

func (h *harness) runner() *Runner {
	h.t.Helper()
	r, err := New(context.Background(), Config{DatabaseURL: h.dsn, NATS: h.nc, AckWait: 2 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(r.Close)
	return r
}

// append stores events of one aggregate without a concurrency check.
func (h *harness) append(evs ...events.Event) uint64 {
	h.t.Helper()
	ap, err := h.store.Append(context.Background(), evs[0].Aggregate(), events.ExpectAny, evs, events.AppendOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return ap.Seq
}

func (h *harness) runToEnd(r *Runner) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.RunToEnd(ctx); err != nil {
		h.t.Fatalf("RunToEnd: %v", err)
	}
}

func (h *harness) checkpoint(name string) uint64 {
	h.t.Helper()
	var at int64
	err := h.db.QueryRow(context.Background(), `SELECT seq FROM projection_checkpoints WHERE projector = $1`, name).Scan(&at)
	if err != nil {
		h.t.Fatalf("checkpoint of %s: %v", name, err)
	}
	return uint64(at)
}

// dump renders a table's rows, ordered, as text for comparison.
func (h *harness) dump(table string) string {
	h.t.Helper()
	rows, err := h.db.Query(context.Background(), fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY 1`, pgx.Identifier{table}.Sanitize()))
	if err != nil {
		h.t.Fatalf("dump %s: %v", table, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatalf("dump %s: %v", table, err)
	}
	return strings.Join(lines, "\n")
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// readModels are the tables the projectors own.
var readModels = []string{"apps", "instances", "hosts", "endpoints", "app_events",
	"releases", "release_instances", "rollouts", "rollout_steps"}

// assertMatchesReplay checks the read models after a run (what) hold each
// of appEvents app events once, skipped none, agree with the command side,
// and equal what an uninterrupted replay of the stream builds.
func (h *harness) assertMatchesReplay(ctx context.Context, appEvents int, evs []events.Event, what string) {
	t := h.t
	t.Helper()
	if n := h.count(`SELECT count(*) FROM app_events`); n != appEvents {
		t.Errorf("history has %d rows, want one per app event: %d", n, appEvents)
	}
	if n := h.count(`SELECT count(*) FROM projection_skipped`); n != 0 {
		t.Errorf("%d events were skipped", n)
	}
	h.matchCommandSide(evs)
	before := map[string]string{}
	for _, table := range readModels {
		before[table] = h.dump(table)
	}
	rebuildCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := h.runner().Rebuild(rebuildCtx); err != nil {
		t.Fatal(err)
	}
	for _, table := range readModels {
		if got := h.dump(table); got != before[table] {
			t.Errorf("%s %s differs from an uninterrupted replay:\n%s\n--- replay ---\n%s", table, what, before[table], got)
		}
	}
}
