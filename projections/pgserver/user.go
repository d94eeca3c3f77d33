package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pgUser is the unprivileged account used when we run as root, since initdb
// and postgres refuse to run as root. The Debian package creates it.
const pgUser = "postgres"

// runner runs PostgreSQL tools as the account that owns the cluster.
type runner struct {
	binDir string
	cred   *syscall.Credential // nil: run as ourselves
}

func newRunner(binDir string) (*runner, error) {
	r := &runner{binDir: binDir}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := lookupOrCreateUser(pgUser)
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	r.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return r, nil
}

func lookupOrCreateUser(name string) (*user.User, error) {
	if u, err := user.Lookup(name); err == nil {
		return u, nil
	}
	out, err := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
		"--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w: %s", name, err, bytes.TrimSpace(out))
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up user %s: %w", name, err)
	}
	return u, nil
}

// command builds a tool invocation in dir (which the cluster owner can enter:
// the tools fail if they cannot read their working directory).
func (r *runner) command(ctx context.Context, dir, tool string, args ...string) *exec.Cmd {
	return r.commandPath(ctx, dir, filepath.Join(r.binDir, tool), args...)
}

func (r *runner) commandPath(ctx context.Context, dir, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + r.binDir + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC"}
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	return cmd
}

// run runs a tool to completion, returning its output in the error.
func (r *runner) run(ctx context.Context, dir, tool string, args ...string) error {
	out, err := r.command(ctx, dir, tool, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// own makes path belong to the cluster owner and lets it reach path through
// its ancestors (t.TempDir() parents are mode 0700, for example).
func (r *runner) own(path string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if err := r.allowSearch(dir); err != nil {
			return err
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

func (r *runner) allowSearch(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && st.Uid == r.cred.Uid || fi.Mode().Perm()&0o001 != 0 {
		return nil
	}
	if err := os.Chmod(dir, fi.Mode()|0o001); err != nil {
		return fmt.Errorf("let %s search %s: %w", pgUser, dir, err)
	}
	return nil
}
