package readapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/projections/readapi"
)

// The audit's finding: reads during a Postgres outage answered 500 with
// the database's address and user. Now: 503 with a fixed message.
func TestReadsDuringPostgresOutageAnswer503WithoutDetails(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.NewServer(t)
	db, err := sql.Open("pgx", pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pool, err := pgxpool.New(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	mux := http.NewServeMux()
	readapi.New(pool).Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var apps []any
	get(t, srv.URL, "/v1/apps", 200, &apps)
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/apps", "/v1/apps/web", "/v1/apps/web/instances", "/v1/hosts", "/v1/apps/web/events"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s: not JSON: %s", path, raw)
		}
		if resp.StatusCode != 503 || body["error"] != "read models unavailable, retry" {
			t.Errorf("%s: %d %s; want 503 read models unavailable", path, resp.StatusCode, raw)
		}
		for _, leak := range []string{"127.0.0.1", strconv.Itoa(pg.Port()), "user=", "database="} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s: answer leaks %q: %s", path, leak, raw)
			}
		}
	}
}
