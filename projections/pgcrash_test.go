package projections

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/pgserver"
	"github.com/berth-dev/berth/projections/pgtest"
)

// Postgres crashes (immediate stop: no shutdown checkpoint, unwritten WAL
// lost) once while events flow and once when the projectors are idle.
// Commits are asynchronous, so each crash loses commits JetStream already
// has acks for; the projectors must notice, go back to their checkpoints
// and end with every event applied exactly once.
func TestPostgresCrashLosesNoEvent(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.NewServer(t)
	h := newHarnessOn(t, srv.DSN())
	// The WAL writer then writes only full WAL pages until the crash, so
	// the last commits before it are surely lost.
	// (ALTER SYSTEM is the superuser's: Berth's own role is not one.)
	adminExec(t, srv.AdminDSN("berth"), `ALTER SYSTEM SET wal_writer_delay = '10s'`, `SELECT pg_reload_conf()`)

	evs := workload(13, 400)
	appEvents := 0
	for _, e := range evs {
		if e.Aggregate().Kind == events.KindApp {
			appEvents++
		}
	}
	last := uint64(len(evs)) // the stream holds only these

	r := h.runner()
	var (
		mu        sync.Mutex
		committed = map[string]uint64{} // newest commit per projector, lost or not
		changed   = make(chan struct{}, 1)
	)
	r.afterCommit = func(name string, seq uint64) error {
		mu.Lock()
		committed[name] = max(committed[name], seq)
		mu.Unlock()
		select {
		case changed <- struct{}{}:
		default:
		}
		return nil
	}
	committedAll := func(seq uint64) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range all() {
			if committed[p.name] < seq {
				return false
			}
		}
		return true
	}
	waitCommitted := func(seq uint64) {
		t.Helper()
		deadline := time.After(time.Minute)
		for !committedAll(seq) {
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("projectors did not commit event %d", seq)
			}
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	appended := make(chan error, 1)
	go func() {
		for _, e := range evs {
			if _, err := h.store.Append(ctx, e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
				appended <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		appended <- nil
	}()

	waitCommitted(100)
	srv = crashAndRestart(t, srv)
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	waitCommitted(last)
	srv = crashAndRestart(t, srv)

	h.reconnect(srv.DSN())
	deadline := time.Now().Add(time.Minute)
	for !h.allAt(last) {
		if time.Now().After(deadline) {
			t.Fatalf("projectors did not get back to event %d after the crashes", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.resets.Load() == 0 {
		t.Fatal("no consumer was reset: the crashes lost no acknowledged commit, so this test proved nothing")
	}
	t.Logf("%d consumer resets", r.resets.Load())

	for _, p := range all() {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
	}
	h.assertMatchesReplay(ctx, appEvents, evs, "after crashes")
}

// crashAndRestart stops srv as pg_ctl stop -m immediate does (SIGQUIT to
// the postmaster), waits for it to exit and starts the cluster again on
// the same port, so DSNs stay valid.
func crashAndRestart(t *testing.T, srv *pgserver.Server) *pgserver.Server {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(srv.DataDir(), "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	next, err := pgserver.Start(ctx, pgserver.Config{DataDir: srv.DataDir(), Port: srv.Port(), NoSync: true, StopWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := next.Stop(context.Background()); err != nil {
			t.Errorf("pgserver: %v", err)
		}
	})
	return next
}

func (h *harness) exec(sql string) {
	h.t.Helper()
	if _, err := h.db.Exec(context.Background(), sql); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
}

// reconnect replaces the harness's connection, which a crash broke.
func (h *harness) reconnect(dsn string) {
	h.t.Helper()
	db, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close(context.Background()) })
	h.db = db
}

func adminExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range stmts {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
