package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/projections/pgserver"
)

func start(t *testing.T, dir string) *pgserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return srv
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, dsn string) int {
	t.Helper()
	var n int
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func TestStartServesTCPAndSocket(t *testing.T) {
	t.Parallel()
	srv := start(t, t.TempDir())
	if !strings.HasPrefix(srv.DSN(), "postgres://berth:") || !strings.HasSuffix(srv.DSN(), "/berth?sslmode=disable") {
		t.Fatalf("DSN = %q", srv.DSN())
	}
	conn := connect(t, srv.DSN())
	var db, user string
	if err := conn.QueryRow(context.Background(), "SELECT current_database(), current_user").Scan(&db, &user); err != nil {
		t.Fatal(err)
	}
	if db != "berth" || user != "berth" {
		t.Fatalf("connected to %s as %s, want berth as berth", db, user)
	}
	var enc string
	if err := conn.QueryRow(context.Background(), "SHOW server_encoding").Scan(&enc); err != nil || enc != "UTF8" {
		t.Fatalf("server_encoding = %q, %v", enc, err)
	}
	pw, err := os.ReadFile(srv.PasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	sock := fmt.Sprintf("host=%s port=%d user=berth password=%s dbname=berth sslmode=disable", srv.SocketDir(), srv.Port(), strings.TrimSpace(string(pw)))
	exec(t, connect(t, sock), "SELECT 1")

	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if c, err := pgx.Connect(context.Background(), srv.DSN()); err == nil {
		c.Close(context.Background())
		t.Fatal("connected after Stop")
	}
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, dir)
	conn := connect(t, srv.DSN())
	exec(t, conn, "CREATE TABLE kept (v int)")
	exec(t, conn, "INSERT INTO kept VALUES (1), (2)")
	conn.Close(context.Background())
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	again := start(t, dir)
	if n := count(t, again.DSN()); n != 2 {
		t.Fatalf("rows after restart = %d, want 2", n)
	}
}

func TestRecoversAfterKill9(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, dir)
	conn := connect(t, srv.DSN())
	exec(t, conn, "CREATE TABLE kept (v int)")
	exec(t, conn, "INSERT INTO kept VALUES (1)")

	pid := postmasterPID(t, srv.DataDir())
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	again := start(t, dir)
	if n := count(t, again.DSN()); n != 1 {
		t.Fatalf("rows after kill -9 = %d, want 1", n)
	}
}

// A cluster left running by a process that died (berth dev killed) is taken over.
func TestTakesOverClusterLeftRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := start(t, dir)
	exec(t, connect(t, old.DSN()), "CREATE TABLE kept (v int)")
	oldPID := postmasterPID(t, old.DataDir())

	again := start(t, dir)
	if n := count(t, again.DSN()); n != 0 {
		t.Fatalf("rows = %d, want 0", n)
	}
	if pid := postmasterPID(t, again.DataDir()); pid == oldPID {
		t.Fatalf("postmaster %d still the old one", pid)
	}
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	srv := start(t, dir)
	if !strings.HasPrefix(srv.SocketDir(), os.TempDir()) || len(srv.SocketDir()) > 90 {
		t.Fatalf("socket dir %q not a short temp dir", srv.SocketDir())
	}
	pw, err := os.ReadFile(srv.PasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	sock := fmt.Sprintf("host=%s port=%d user=berth password=%s dbname=berth sslmode=disable", srv.SocketDir(), srv.Port(), strings.TrimSpace(string(pw)))
	exec(t, connect(t, sock), "SELECT 1")
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(srv.SocketDir()); !os.IsNotExist(err) {
		t.Fatalf("temp socket dir left behind: %v", err)
	}
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
