package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// recoverStale makes the data dir startable after an unclean end: a postmaster
// still running from an earlier process is stopped; the pid file and socket
// locks of a killed one are removed once its orphaned backends are gone.
// (Postgres itself trusts a stale pid file whenever the pid was reused.)
func recoverStale(ctx context.Context, r *runner, c Config) error {
	pidFile := filepath.Join(c.pgdata(), "postmaster.pid")
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	// pg_ctl stop fails if the postmaster dies meanwhile (a kill -9 still in
	// flight); the stale path below then cleans up.
	if pid > 0 && cwdOf(pid) == c.pgdata() && stopCluster(ctx, r, c) == nil {
		return nil
	}
	if err := waitGone(ctx, c.pgdata()); err != nil {
		return err
	}
	locks, _ := filepath.Glob(filepath.Join(c.DataDir, "sock", ".s.PGSQL.*"))
	for _, f := range append(locks, pidFile) {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

// waitGone waits for processes working in dir (orphaned backends of a killed
// postmaster, which leave on their own) and kills any left after 20s.
func waitGone(ctx context.Context, dir string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		pids := processesIn(dir)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			deadline = time.Now().Add(10 * time.Second)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for old postgres processes %v: %w", pids, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// processesIn lists processes whose working directory is dir; postgres
// processes all work in their data directory.
func processesIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && cwdOf(pid) == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

func cwdOf(pid int) string {
	cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	return cwd
}
