package pgserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// watchdog is a child shell that stops the cluster when its stdin reaches EOF,
// which the kernel delivers when this process exits for any reason.
type watchdog struct {
	cmd  *exec.Cmd
	pipe *os.File // write end; never written, held open until disarm
}

func startWatchdog(r *runner, c Config) (*watchdog, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("watchdog pipe: %w", err)
	}
	defer rd.Close()
	script := `read _; exec pg_ctl stop -m fast -D "$1" >/dev/null 2>&1`
	cmd := r.commandPath(context.Background(), c.DataDir, "/bin/sh", "-c", script, "sh", c.pgdata())
	cmd.Stdin = rd
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true // a terminal's Ctrl-C must not disarm it early
	if err := cmd.Start(); err != nil {
		wr.Close()
		return nil, fmt.Errorf("start watchdog: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // reaps the child; its exit status means nothing
	return &watchdog{cmd: cmd, pipe: wr}, nil
}

// disarm ends the watchdog without letting it stop the cluster.
func (w *watchdog) disarm() {
	if w == nil {
		return
	}
	_ = w.cmd.Process.Kill()
	w.pipe.Close()
}
