package logapi_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/localstore"
	"github.com/berth-dev/berth/logpipe/logapi"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// server serves the log API over a real Postgres store and a real log
// buffer on JetStream.
func server(t *testing.T, maxFollowers int) string {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	js := natstest.JetStream(t, natstest.Start(t))
	if _, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	api, err := logapi.New(logapi.Config{Store: localstore.New(pool), JS: js, MaxFollowers: maxFollowers})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// The audit's finding: a log query with NUL or invalid UTF-8 got a 500
// from Postgres. Now a 400 naming the parameter.
func TestLogQueryWithNULOrInvalidUTF8Is400(t *testing.T) {
	base := server(t, 2)
	for _, q := range []string{"q=a%00b", "q=%ff%fe", "instance=web-%00", "q=" + strings.Repeat("x", 2000)} {
		resp, err := http.Get(base + "/v1/apps/web/logs?" + q)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || body["error"] == "" {
			t.Errorf("?%.40s: %d %v; want 400", q, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(base + "/v1/apps/web/logs?q=hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a good query: %d", resp.StatusCode)
	}
}

// Follows beyond the cap are answered 429 and a slot frees when a
// follower leaves.
func TestLogFollowsAreCapped(t *testing.T) {
	base := server(t, 2)
	open := func() (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/apps/web/logs/follow", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, cancel
	}
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for range 2 {
		resp, cancel := open()
		cancels = append(cancels, cancel)
		if resp.StatusCode != 200 {
			t.Fatalf("follow within the cap: %d", resp.StatusCode)
		}
		// The first comment arrives once the follow is set up.
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	resp, cancel := open()
	resp.Body.Close()
	cancel()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("follow beyond the cap: %d; want 429 with Retry-After", resp.StatusCode)
	}
	cancels[0]()
	natstest.Eventually(t, 10*time.Second, "a slot to free", func() bool {
		resp, cancel := open()
		defer cancel()
		defer resp.Body.Close()
		return resp.StatusCode == 200
	})
}
