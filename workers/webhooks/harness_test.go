package webhooks_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/workers/webhooks"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one test's NATS, Postgres, hook commands and workers.
type env struct {
	t       testing.TB
	srv     *natsserver.Server
	store   *events.Store
	db      *pgxpool.Pool
	cmds    *hooks.Handler
	secrets *hooks.Secrets
	cfg     webhooks.Config
}

func newEnv(t *testing.T) *env { return newEnvTB(t) }

func newEnvTB(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	srv := natstest.Start(t)
	store := natstest.StoreOn(t, natstest.Connect(t, srv), "test")
	dsn := pgtest.NewDB(t)
	sqlDB, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatal(err)
	}
	db, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &env{t: t, srv: srv, store: store, db: db, cmds: hooks.NewHandler(store, "test"), secrets: hooks.NewSecrets(db),
		cfg: webhooks.Config{
			NATSURL: srv.ClientURL(), AllowPrivate: true,
			Timeout: 2 * time.Second, AckWait: 5 * time.Second,
			RetryInitial: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, InProcessRetries: 2,
			FailingAfter: 100 * time.Millisecond,
		}}
}

// startWorker runs a worker until the returned stop is called (or the
// test ends) and waits for it to return.
func (e *env) startWorker() (stop func()) {
	e.t.Helper()
	w, err := webhooks.New(e.cfg, e.store, e.cmds, e.secrets, e.db, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("worker: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

const testSecret = "whsec_test_secret_0123456789"

// addHook creates a hook with testSecret.
func (e *env) addHook(c hooks.Put) {
	e.t.Helper()
	ctx := context.Background()
	if err := c.Validate(hooks.Policy{AllowPrivate: true}); err != nil {
		e.t.Fatal(err)
	}
	id, err := e.secrets.Put(ctx, c.Name, testSecret)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cmds.Execute(ctx, c.Name, "", func(h *hooks.Hook) ([]events.Event, error) { return c.Decide(h, id) }); err != nil {
		e.t.Fatal(err)
	}
}

// appendApp appends one event per app in turn, n rounds, and returns the
// CloudEvents ids per app in append order.
func (e *env) appendApp(n int, apps ...string) map[string][]string {
	e.t.Helper()
	ids := map[string][]string{}
	for i := range n {
		for _, app := range apps {
			ev := events.AppScaled{App: app, Replicas: i + 1, Previous: i}
			if _, err := e.store.Append(context.Background(), ev.Aggregate(), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
				e.t.Fatal(err)
			}
			recs, _, err := e.store.Load(context.Background(), ev.Aggregate(), 0)
			if err != nil {
				e.t.Fatal(err)
			}
			ids[app] = append(ids[app], recs[len(recs)-1].ID)
		}
	}
	return ids
}

// hookEvents is the kinds of every event of hook name, in order.
func (e *env) hookEvents(name string) []string {
	recs, _, err := e.store.Load(context.Background(), events.Hook(name), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Event.Kind())
	}
	return out
}

// got is one request a receiver saw.
type got struct {
	ID, Subject, Type, CEID, Signature string
	Body                               []byte
	Status                             int
}

// receiver is a real HTTP server on loopback that answers with status()
// and records what it got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []got
	status func(id string) int
}

func newReceiver(t *testing.T, status func(id string) int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ce struct {
			ID, Subject, Type string
		}
		_ = json.Unmarshal(body, &ce)
		st := r.status(ce.ID)
		r.mu.Lock()
		r.reqs = append(r.reqs, got{ID: ce.ID, Subject: ce.Subject, Type: ce.Type, CEID: req.Header.Get(webhooks.IDHeader),
			Signature: req.Header.Get(webhooks.SignatureHeader), Body: body, Status: st})
		r.mu.Unlock()
		w.WriteHeader(st)
		_, _ = w.Write([]byte("answer " + http.StatusText(st)))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// accepted is the ids the receiver answered 2xx, per app (subject), in
// the order of their first acceptance.
func (r *receiver) accepted() map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, g := range r.requests() {
		if g.Status/100 != 2 || seen[g.ID] {
			continue
		}
		seen[g.ID] = true
		out[g.Subject] = append(out[g.Subject], g.ID)
	}
	return out
}

func (r *receiver) count(id string) int {
	n := 0
	for _, g := range r.requests() {
		if g.ID == id && g.Status/100 == 2 {
			n++
		}
	}
	return n
}

// checkInOrder fails unless every id of want arrived, per app in order.
func checkInOrder(t *testing.T, r *receiver, want map[string][]string) {
	t.Helper()
	gotIDs := r.accepted()
	for app, ids := range want {
		if !slices.Equal(gotIDs[app], ids) {
			t.Errorf("app %s: accepted %d events %v, want %d in order %v", app, len(gotIDs[app]), gotIDs[app], len(ids), ids)
		}
	}
}

func allAccepted(r *receiver, want map[string][]string) func() bool {
	return func() bool {
		gotIDs := r.accepted()
		for app, ids := range want {
			if len(gotIDs[app]) < len(ids) {
				return false
			}
		}
		return true
	}
}
