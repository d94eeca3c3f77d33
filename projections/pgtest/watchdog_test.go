package pgtest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/projections/pgtest"
)

const crashEnv = "BERTH_PGTEST_CRASH_CHILD"

// A test binary that dies without cleanup must not leave its cluster running.
func TestCrashedTestBinaryLeavesNoServer(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		srv := pgtest.Server(t)
		fmt.Printf("CLUSTER %s %s\n", srv.DataDir(), srv.DSN())
		os.Exit(3) // crash: skips pgtest.Main's cleanup
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashedTestBinaryLeavesNoServer$")
	cmd.Env = append(os.Environ(), crashEnv+"=1")
	out, _ := cmd.Output()
	var dir, dsn string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "CLUSTER" {
			dir, dsn = f[1], f[2]
		}
	}
	if dir == "" {
		t.Fatalf("child printed no cluster:\n%s", out)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	pidFile := filepath.Join(dir, "pgdata", "postmaster.pid")
	deadline := time.Now().Add(time.Minute)
	for {
		_, statErr := os.Stat(pidFile)
		conn, connErr := pgx.Connect(context.Background(), dsn)
		if connErr == nil {
			conn.Close(context.Background())
		}
		if os.IsNotExist(statErr) && connErr != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster in %s still running a minute after its test binary died", dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
