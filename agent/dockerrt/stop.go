package dockerrt

import (
	"context"
	"fmt"
	"math"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// Stop stops a container gracefully and removes it: the engine sends the
// image's stop signal (SIGTERM), waits up to timeout, then kills. A container
// that is already gone is not an error.
func (r *Runtime) Stop(ctx context.Context, id string, timeout time.Duration) error {
	secs := max(0, int(math.Ceil(timeout.Seconds()))) // the engine reads -1 as "wait forever"
	err := r.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stop %s: %w", short(id), err)
	}
	return r.remove(ctx, id)
}

func (r *Runtime) remove(ctx context.Context, id string) error {
	err := r.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	if cerrdefs.IsConflict(err) {
		// "removal already in progress": someone else is removing it.
		return nil
	}
	return fmt.Errorf("remove %s: %w", short(id), err)
}
