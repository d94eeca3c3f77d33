package hooks_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newAPI(t *testing.T) (*httptest.Server, *hooks.Handler) {
	t.Helper()
	ctx := context.Background()
	store := natstest.Store(t, "test")
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
	h := hooks.NewHandler(store, "test")
	mux := http.NewServeMux()
	seq := func(ctx context.Context, at time.Time) (uint64, error) {
		return hooks.FirstSeqSince(ctx, store.JetStream(), at)
	}
	hooks.NewAPI(h, hooks.NewSecrets(db), hooks.Policy{}, seq).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, h
}

func call(t *testing.T, srv *httptest.Server, method, path, key string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestHookEndpoints(t *testing.T) {
	srv, h := newAPI(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "ci", "url": "http://ci.example.com/"}, "url"},
		{map[string]any{"name": "ci", "url": "https://127.0.0.1/"}, "url"},
		{map[string]any{"name": "CI", "url": "https://ci.example.com/"}, "name"},
		{map[string]any{"name": "ci", "url": "https://ci.example.com/", "types": []string{"a b"}}, "types"},
	} {
		if code, out := call(t, srv, "POST", "/v1/hooks", "", c.body); code != 400 || out["field"] != c.field {
			t.Errorf("%v: %d %v, want 400 naming %s", c.body, code, out, c.field)
		}
	}
	if code, out := call(t, srv, "POST", "/v1/hooks", "", map[string]any{"name": "ci", "bogus": 1}); code != 400 || out["error"] == "" {
		t.Errorf("unknown field: %d %v", code, out)
	}

	body := map[string]any{"name": "ci", "url": "https://ci.example.com/berth", "apps": []string{"web"}}
	code, out := call(t, srv, "POST", "/v1/hooks", "k1", body)
	secret, _ := out["secret"].(string)
	if code != 201 || len(secret) < 40 {
		t.Fatalf("create: %d %v, want 201 with a generated secret", code, out)
	}
	if code, out := call(t, srv, "POST", "/v1/hooks", "k1", body); code != 200 || out["duplicate"] != true || out["secret"] != nil {
		t.Errorf("same key again: %d %v, want a duplicate without the secret", code, out)
	}
	if code, out := call(t, srv, "POST", "/v1/hooks", "", body); code != 200 || len(out["events"].([]any)) != 0 {
		t.Errorf("same hook again: %d %v, want a no-op", code, out)
	}
	if code, _ := call(t, srv, "POST", "/v1/hooks/ci/replay", "", map[string]any{"since": "soon"}); code != 400 {
		t.Errorf("replay with a bad since: %d", code)
	}
	if code, _ := call(t, srv, "POST", "/v1/hooks/ci/replay", "", map[string]any{"since": "1h"}); code != 201 {
		t.Errorf("replay: %d", code)
	}
	if code, _ := call(t, srv, "DELETE", "/v1/hooks/nope", "", nil); code != 404 {
		t.Errorf("remove unknown: %d", code)
	}
	if code, _ := call(t, srv, "DELETE", "/v1/hooks/ci", "", nil); code != 201 {
		t.Errorf("remove: %d", code)
	}
	state, err := h.State(context.Background(), "ci")
	if err != nil || state.Exists || state.Seq == 0 {
		t.Errorf("after remove: %+v %v", state, err)
	}
}
