// Package e2etest holds what the end-to-end tests of cmd/berth and
// cmd/berth/service share: the built binary, polling, and clean-up of
// the containers a test's hosts leave behind.
package e2etest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/berth-dev/berth/events/natstest"
)

// Build compiles the berth binary into a temporary directory.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/berth-dev/berth/cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	return bin
}

// Eventually polls cond every 200ms (end-to-end conditions run CLI
// commands and HTTP requests) until it holds, failing t when within passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	natstest.Poll(t, within, 200*time.Millisecond, what, cond)
}

// RemoveContainers removes every container of hosts whose id starts with
// hostPrefix. Agents leave containers running when they stop (a
// restarted agent adopts them); a test's hosts are gone for good, and so
// must be their containers, lest they hold ports other tests need.
func RemoveContainers(t testing.TB, hostPrefix string) {
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Errorf("docker client: %v", err)
		return
	}
	defer docker.Close()
	ctx := context.Background()
	list, err := docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "berth.host"))})
	if err != nil {
		t.Errorf("list containers: %v", err)
		return
	}
	for _, c := range list {
		if strings.HasPrefix(c.Labels["berth.host"], hostPrefix) {
			_ = docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
	}
}

// SyncBuffer is a bytes.Buffer safe for a writer and a reader at once,
// for the output of a process or a CLI call still running.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
