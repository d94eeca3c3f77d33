package dockerrt

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Logs reads what a container wrote from since up to until, from the
// engine's own log cache: Docker keeps one beside any logging driver
// ("dual logging", Docker 20.10 and later), so lines the syslog driver
// could not deliver are still there. Each line carries its timestamp;
// stdout and stderr come multiplexed, as for any container without a TTY
// (stdcopy reads them apart).
func (r *Runtime) Logs(ctx context.Context, id string, since, until time.Time) (io.ReadCloser, error) {
	rc, err := r.api.ContainerLogs(ctx, id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true,
		Since: dockerTime(since), Until: dockerTime(until),
	})
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", short(id), err)
	}
	return rc, nil
}

// dockerTime writes t as the engine's API takes it: seconds.nanoseconds.
func dockerTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}
