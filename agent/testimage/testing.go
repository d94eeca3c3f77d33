package testimage

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// EnsureT is Ensure for tests of any package: it talks to the engine named by the
// DOCKER_* environment (default /var/run/docker.sock) and fails t on any error.
func EnsureT(t testing.TB) string {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ref, err := Ensure(ctx, cli)
	if err != nil {
		t.Fatalf("ensure test image: %v", err)
	}
	return ref
}
