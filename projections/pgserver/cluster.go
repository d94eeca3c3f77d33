package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// confFile is rewritten at every start with the listen settings; postgresql.conf
// includes it, so nothing goes through pg_ctl's shell quoting.
const confFile = "berth.conf"

// maxSocketDir keeps "<dir>/.s.PGSQL.<port>" under the 107-byte sun_path limit.
const maxSocketDir = 107 - len("/.s.PGSQL.65535")

// initCluster runs initdb unless the data dir already holds a finished cluster.
func initCluster(ctx context.Context, r *runner, c Config) error {
	if _, err := os.Stat(c.initMarker()); err == nil {
		return nil
	}
	// A half-made cluster from an interrupted initdb cannot be reused.
	if err := os.RemoveAll(c.pgdata()); err != nil {
		return fmt.Errorf("remove partial cluster: %w", err)
	}
	pw, err := pwfile(r, c)
	if err != nil {
		return err
	}
	defer os.Remove(pw)
	args := []string{"-D", c.pgdata(), "-U", Superuser, "-A", "scram-sha-256", "--pwfile", pw, "-E", "UTF8", "--locale=C"}
	if c.NoSync {
		args = append(args, "--no-sync")
	}
	if err := r.run(ctx, c.DataDir, "initdb", args...); err != nil {
		return err
	}
	conf := filepath.Join(c.pgdata(), "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	_, werr := fmt.Fprintf(f, "\ninclude_if_exists = '%s'\n", confFile)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("append to postgresql.conf: %w", err)
	}
	if err := os.WriteFile(c.initMarker(), []byte("ok\n"), 0o644); err != nil {
		return fmt.Errorf("mark cluster initialised: %w", err)
	}
	return nil
}

// writeConf writes this start's listen settings.
func writeConf(r *runner, c Config, port int, socketDir string) error {
	lines := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", port),
		fmt.Sprintf("unix_socket_directories = '%s'", strings.ReplaceAll(socketDir, "'", "''")),
		"max_connections = 200",
	}
	if c.NoSync {
		lines = append(lines, "fsync = off", "full_page_writes = off")
	}
	path := filepath.Join(c.pgdata(), confFile)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", confFile, err)
	}
	return r.own(path)
}

// socketDir returns a directory for the unix socket: inside the data dir when
// the path is short enough, else a fresh short one under os.TempDir() that the
// caller removes (temp is true).
func socketDir(r *runner, c Config) (dir string, temp bool, err error) {
	dir = filepath.Join(c.DataDir, "sock")
	if len(dir) <= maxSocketDir {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false, fmt.Errorf("create socket dir: %w", err)
		}
		return dir, false, r.own(dir)
	}
	dir, err = os.MkdirTemp("", "bpg")
	if err != nil {
		return "", false, fmt.Errorf("create socket dir: %w", err)
	}
	if len(dir) > maxSocketDir {
		os.Remove(dir)
		return "", false, fmt.Errorf("socket dir %s too long even under temp dir", dir)
	}
	return dir, true, r.own(dir)
}
