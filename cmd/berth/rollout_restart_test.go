package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/projections/pgtest"
)

type rolloutView struct {
	Status string `json:"status"`
	Step   int    `json:"step"`
	Reason string `json:"reason"`
	Steps  []struct {
		Event string `json:"event"`
	} `json:"steps"`
}

func getRollout(api string, release int) (rolloutView, bool) {
	var ro rolloutView
	resp, err := http.Get(fmt.Sprintf("%s/v1/apps/web/rollout?release=%d", api, release))
	if err != nil {
		return ro, false
	}
	defer resp.Body.Close()
	return ro, resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&ro) == nil
}

// kill -9 of the server in the middle of a rolling update: the restarted
// server resumes the rollout from the event log, and it still ends in
// exactly one terminal state.
func TestKill9MidRolloutResumes(t *testing.T) {
	image := testimage.EnsureT(t)
	dir := t.TempDir()
	bin := e2etest.Build(t)
	host := fmt.Sprintf("ro%04x", rand.IntN(1<<16))
	api := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	natsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	srv := &server{t: t, bin: bin, api: api, args: []string{"server",
		"--api-listen", api[len("http://"):], "--nats-listen", natsAddr,
		"--data-dir", filepath.Join(dir, "data"), "--database-url", pgtest.NewDB(t),
		"--gateway-listen", ""}}
	srv.start()
	t.Cleanup(func() {
		if srv.cmd.ProcessState == nil {
			_ = srv.cmd.Process.Signal(syscall.SIGTERM)
			_ = srv.cmd.Wait()
		}
	})
	// The bus is closed: the host gets its key from the server's data dir.
	dataDir := filepath.Join(dir, "data")
	if out, err := exec.Command(bin, "nats-key", "host", host, "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("nats-key host: %v\n%s", err, out)
	}
	var agentLog e2etest.SyncBuffer
	agent := exec.Command(bin, "agent", "--nats-url", "nats://"+natsAddr, "--host-id", host,
		"--nats-creds", filepath.Join(dataDir, "credentials", "hosts", host+".nk"),
		"--addr", "127.0.0.7", "--log-relay", "", "--ports", "38000-38999")
	agent.Stdout, agent.Stderr = &agentLog, &agentLog
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		_, _ = agent.Process.Wait()
		e2etest.RemoveContainers(t, host)
		if t.Failed() {
			t.Logf("agent log:\n%s\nserver log:\n%s", agentLog.String(), srv.log.String())
		}
	})

	run(t, api, "deploy", "web", "--image", image, "--replicas", "2", "--memory", "32m", "--wait", "--timeout", "2m")
	run(t, api, "deploy", "web", "--image", image, "--replicas", "2", "--memory", "32m",
		"--env", "V=2", "--min-healthy", "3s", "--health-interval", "500ms")
	e2etest.Eventually(t, 2*time.Minute, "release 2's rollout takes a first step", func() bool {
		ro, ok := getRollout(api, 2)
		return ok && ro.Step >= 1
	})
	srv.kill9()
	srv.log.Reset()
	srv.start()
	var ro rolloutView
	e2etest.Eventually(t, 2*time.Minute, "release 2's rollout ends after the restart", func() bool {
		var ok bool
		ro, ok = getRollout(api, 2)
		return ok && ro.Status != "progressing" && ro.Status != "paused"
	})
	if ro.Status != "succeeded" {
		t.Fatalf("rollout ended %s (%s), want succeeded", ro.Status, ro.Reason)
	}
	terminal := 0
	for _, s := range ro.Steps {
		switch s.Event {
		case "succeeded", "rolled_back", "failed", "superseded",
			"rollout_succeeded", "rollout_rolled_back", "rollout_failed", "rollout_superseded":
			terminal++
		}
	}
	if terminal != 1 {
		t.Errorf("rollout has %d terminal steps, want exactly one: %+v", terminal, ro.Steps)
	}
	e2etest.Eventually(t, time.Minute, "only release 2's instances left", func() bool {
		var ps []struct {
			Version int    `json:"version"`
			State   string `json:"state"`
		}
		if json.Unmarshal([]byte(run(t, api, "ps", "web", "-o", "json")), &ps) != nil || len(ps) != 2 {
			return false
		}
		for _, p := range ps {
			if p.Version != 2 || p.State != "healthy" {
				return false
			}
		}
		return true
	})
}
