package service_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/e2etest"
)

// An agent killed with kill -9 stops heartbeating: its host is declared
// lost and its instances are replaced on the other hosts.
func TestAgentKill9HostLostInstancesMoved(t *testing.T) {
	image := testimage.EnsureT(t)
	bin := e2etest.Build(t)
	d := startDev(t, 2, false)
	outside := strings.TrimSuffix(d.Hosts[0][:strings.Index(d.Hosts[0], "@")], "1") + "x"
	// A host joining a running server: its key is authorised on the
	// server's machine, the server picks it up, the agent brings the seed.
	if out, err := exec.Command(bin, "nats-key", "host", outside, "--data-dir", d.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("nats-key: %v\n%s", err, out)
	}
	agent := exec.Command(bin, "agent", "--nats-url", d.NATSURL, "--host-id", outside, "--addr", "127.0.0.4",
		"--nats-creds", filepath.Join(d.DataDir, "credentials", "hosts", outside+".nk"),
		"--zone", "zone-x", "--ports", "38000-38999", "--log-relay", "")
	var log strings.Builder
	agent.Stdout, agent.Stderr = &log, &log
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Kill()
		_, _ = agent.Process.Wait()
		e2etest.RemoveContainers(t, outside)
	})
	eventually(t, 30*time.Second, "the outside host registered", func() bool {
		return strings.Contains(berth(t, d, "hosts"), outside)
	})

	berth(t, d, "deploy", "spread", "--image", image, "--replicas", "3", "--max-per-host", "1", "--wait", "--timeout", "2m")
	var victim string
	for _, i := range instances(t, d, "spread") {
		if i.Host == outside {
			victim = i.ID
		}
	}
	if victim == "" {
		t.Fatalf("no instance on %s: %+v", outside, instances(t, d, "spread"))
	}

	if err := agent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = agent.Process.Wait()
	eventually(t, 60*time.Second, "host declared lost", func() bool {
		for _, line := range strings.Split(berth(t, d, "hosts"), "\n") {
			if strings.HasPrefix(line, outside+" ") && strings.Contains(line, "lost") {
				return true
			}
		}
		return false
	})
	// max-per-host 1 on the two remaining hosts: the lost host's instance
	// is unscheduled, and the app shows why it can't have a third.
	eventually(t, 30*time.Second, "the lost host's instance unscheduled and the shortfall explained", func() bool {
		out, _ := berthCode(t, d, "ps", "spread")
		return !strings.Contains(out, victim) && strings.Contains(out, "max-per-host")
	})
	// Lifting the limit places the third instance on a live host.
	berth(t, d, "deploy", "spread", "--image", image, "--replicas", "3", "--wait", "--timeout", "2m")
	// The rollout retires the old version once the new one is healthy.
	eventually(t, 60*time.Second, "three healthy instances, none on the lost host", func() bool {
		h := healthy(instances(t, d, "spread"))
		for _, i := range h {
			if i.Host == outside {
				return false
			}
		}
		return len(h) == 3
	})
}
