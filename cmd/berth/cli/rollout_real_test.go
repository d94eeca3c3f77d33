package cli

import (
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

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/projections/readapi"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// realReads serves the real read API over real projections of a real
// event stream, plus the write routes a test adds; it returns the API's
// URL and an append function.
func realReads(t *testing.T, writes func(mux *http.ServeMux, appendEvents func(...events.Event))) (string, func(...events.Event)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	nc := natstest.Connect(t, natstest.Start(t))
	store := natstest.StoreOn(t, nc, "test")
	appendEvents := func(evs ...events.Event) {
		t.Helper()
		for _, e := range evs {
			if _, err := store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
				t.Error(err)
			}
		}
	}
	dsn := pgtest.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	r, err := projections.New(ctx, projections.Config{DatabaseURL: dsn, NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("projections: %v", err)
		}
		r.Close()
	})
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	mux := http.NewServeMux()
	readapi.New(pool).Routes(mux)
	writes(mux, appendEvents)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, appendEvents
}

// deploy --wait, rollout status and history against the read models the
// projectors keep: the release's rollout is followed through the
// projection's lag, from before it started to its roll back.
func TestRolloutCommandsAgainstTheReadModels(t *testing.T) {
	rolling := events.RolloutSpec{Strategy: events.StrategyRolling, MaxSurge: "25%", MaxUnavailable: "0",
		MinHealthyMS: 5000, ProgressDeadlineMS: 120000, AutoRollback: true, MaxFailures: 2}
	deployed := make(chan struct{})
	base, appendEvents := realReads(t, func(mux *http.ServeMux, appendEvents func(...events.Event)) {
		mux.HandleFunc("POST /v1/apps/{app}/deploy", func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Image string `json:"image"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			appendEvents(events.AppDeployed{App: "web", Version: 2, Spec: events.Spec{Image: body.Image, Replicas: 2, Port: 80}})
			close(deployed)
			httpjson.Write(w, http.StatusCreated, map[string]any{"seq": 4, "events": []string{"dev.berth.app.deployed"}, "release": 2})
		})
	})
	appendEvents(
		events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "web:1", Replicas: 2, Port: 80}},
		events.RolloutStarted{App: "web", Release: 1, Spec: rolling, Reason: "first deploy"},
		events.RolloutSucceeded{App: "web", Release: 1, Reason: "2/2 healthy", Inputs: events.RolloutInputs{Desired: 2, Healthy: 2, Available: 2}},
	)
	// The rollout worker's part, played after the deploy lands.
	go func() {
		select {
		case <-deployed:
		case <-time.After(time.Minute):
			return
		}
		appendEvents(
			events.RolloutStarted{App: "web", Release: 2, From: 1, Spec: rolling, Reason: "deploy"},
			events.RolloutStepped{App: "web", Release: 2, Step: 1, KeepOld: 2, Reason: "surge 1 new instance",
				Inputs: events.RolloutInputs{Desired: 2, OldLive: 2}},
		)
		appendEvents(events.RolloutRolledBack{App: "web", Release: 2, To: 1, Reason: "2 failures of release 2 (max 2)",
			Inputs: events.RolloutInputs{Desired: 2, OldLive: 2, Failures: 2}})
	}()

	code, out, errOut := run(t, base, "deploy", "web", "--image", "web:2", "--wait")
	if want := "berth: release 2 of web rolled back to release 1: 2 failures of release 2 (max 2)\n"; code != 1 || errOut != want {
		t.Errorf("deploy --wait: exit %d, stderr %q, want 1 and %q; stdout:\n%s", code, errOut, want, out)
	}
	for _, line := range []string{"web release 2: rollout started (rolling, from release 1): deploy",
		"web release 2: step 1, healthy 0/2, old 2: surge 1 new instance",
		"web release 2: rolled back to release 1, healthy 0/2, old 2, failures 2: 2 failures of release 2 (max 2)"} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("deploy --wait output lacks %q:\n%s", line, out)
		}
	}

	if code, out, errOut := run(t, base, "rollout", "status", "web"); code != 1 || !strings.Contains(out, "rolled back") ||
		!strings.Contains(errOut, "2 failures of release 2") {
		t.Errorf("rollout status: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, errOut = run(t, base, "rollout", "history", "web")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[1], "rolled back") || !strings.Contains(lines[2], "succeeded") {
		t.Errorf("rollout history: exit %d, stderr %q:\n%s", code, errOut, out)
	}
}
