package dashboard_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections"
	"github.com/berth-dev/berth/projections/dashboard"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/projections/readapi"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const testToken = "dash-test-token"

// env is the dashboard over a real event store (embedded NATS), real read
// models (Postgres, projectors running) and the real command handler,
// served the way berth server serves it: in front of the API.
type env struct {
	URL     string
	Store   *events.Store
	Handler *commands.Handler
	Dash    *dashboard.Dashboard
	Reads   *readapi.API
}

func start(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	nc := natstest.Connect(t, natstest.Start(t))
	store := natstest.StoreOn(t, nc, "test")
	dsn := pgtest.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	runner, err := projections.New(ctx, projections.Config{DatabaseURL: dsn, NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = runner.Run(ctx) }()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(store, "test")
	reads := readapi.New(pool)
	d, err := dashboard.New(ctx, dashboard.Config{Token: testToken, Reads: reads, DB: pool, Log: store, Commands: h, NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	reads.Routes(mux)
	d.APIRoutes(mux)
	srv := httptest.NewServer(d.Front(httpjson.RequireToken(testToken, mux)))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		d.Close()
		cancel()
		wg.Wait()
		runner.Close()
		pool.Close()
	})
	return &env{URL: srv.URL, Store: store, Handler: h, Dash: d, Reads: reads}
}

// append stores events as the scheduler, agents and workers would.
func (e *env) append(t testing.TB, evs ...events.Event) uint64 {
	t.Helper()
	var last uint64
	for _, ev := range evs {
		ap, err := e.Store.Append(context.Background(), ev.Aggregate(), events.ExpectAny, []events.Event{ev}, events.AppendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		last = ap.Seq
	}
	return last
}

// run executes a command through the same path as the API and the CLI.
func (e *env) run(t testing.TB, app string, decide commands.Decider) commands.Result {
	t.Helper()
	res, err := e.Handler.Execute(context.Background(), app, "", decide)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// lastEvent is the app's newest event in the log.
func (e *env) lastEvent(t *testing.T, app string) events.Event {
	t.Helper()
	recs, _, err := e.Store.Load(context.Background(), events.App(app), 0)
	if err != nil || len(recs) == 0 {
		t.Fatalf("load %s: %v (%d events)", app, err, len(recs))
	}
	return recs[len(recs)-1].Event
}

// startInstance appends what placing and starting a healthy instance records.
func (e *env) startInstance(t testing.TB, app, id, host string, port int) uint64 {
	t.Helper()
	addr := "127.0.0.1"
	return e.append(t,
		events.InstanceScheduled{App: app, Instance: id, Version: 1, Host: host, HostAddr: addr, HostPort: port, ContainerPort: 8080, Image: "berth-testapp:latest"},
		events.InstanceStarted{App: app, Instance: id, Host: host, ContainerID: "c-" + id},
		events.EndpointRegistered{App: app, Instance: id, Host: host, Addr: addr + ":" + strconv.Itoa(port)},
	)
}
