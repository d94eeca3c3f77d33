package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/projections/pgserver"
)

// shared is the one cluster of this test binary, started on first use.
var shared struct {
	mainCalled bool
	once       sync.Once
	srv        *pgserver.Server
	dir        string
	err        error
}

// Main runs the tests, then stops the shared cluster and removes its files.
// Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
// It returns; the testing package exits with m.Run's code.
func Main(m *testing.M) {
	shared.mainCalled = true
	m.Run()
	if shared.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := shared.srv.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// Server returns the shared cluster, starting it on first use.
func Server(t testing.TB) *pgserver.Server {
	t.Helper()
	if !shared.mainCalled {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain so the shared cluster is stopped")
	}
	shared.once.Do(startShared)
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

func startShared() {
	shared.dir, shared.err = os.MkdirTemp("", "berth-pgtest-")
	if shared.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shared.srv, shared.err = pgserver.Start(ctx, pgserver.Config{
		DataDir:        shared.dir,
		NoSync:         true,
		StopWithParent: true,
	})
}

// NewServer starts a private cluster in t.TempDir(), stopped at cleanup; for
// tests that stop, restart or break the server itself.
func NewServer(t testing.TB) *pgserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: t.TempDir(), NoSync: true, StopWithParent: true})
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return srv
}
