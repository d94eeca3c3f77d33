package testimage

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

func TestEnsureBuildsAndReuses(t *testing.T) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ref, err := Ensure(ctx, cli)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	first, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	if first.Config.Labels[LabelBinarySHA256] == "" {
		t.Fatalf("image %s has no %s label: %v", ref, LabelBinarySHA256, first.Config.Labels)
	}
	if got := first.Config.Entrypoint; len(got) != 1 || got[0] != "/testapp" {
		t.Fatalf("entrypoint = %v", got)
	}

	// Unchanged source: the same image is kept.
	if _, err := Ensure(ctx, cli); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	second, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Fatalf("image rebuilt without a change: %s -> %s", first.ID, second.ID)
	}
}

func TestEnsureRebuildsWhenImageIsStale(t *testing.T) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A private tag, so tests of other packages using Ref meanwhile are not disturbed.
	const ref = "berth-testapp-stalecheck:latest"
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})

	// Tag an image holding a different "binary", as an older checkout would have left it.
	if err := buildImage(ctx, cli, ref, []byte("#!/bin/false\n"), "stale"); err != nil {
		t.Fatalf("build stale image: %v", err)
	}
	if sum, _ := imageSum(ctx, cli, ref); sum != "stale" {
		t.Fatalf("stale image not in place, label %q", sum)
	}
	if _, err := ensure(ctx, cli, ref); err != nil {
		t.Fatalf("ensure: %v", err)
	}
	sum, _ := imageSum(ctx, cli, ref)
	want, _ := imageSum(ctx, cli, EnsureT(t))
	if sum != want {
		t.Fatalf("after ensure %s holds binary %q, want %q", ref, sum, want)
	}
}
