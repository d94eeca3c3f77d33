package dockerrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Run starts the instance described by spec and returns its container id.
//
// The image is pulled if absent. A container already named for the instance
// is reused if it is running (so an agent restart is idempotent) and removed
// otherwise. If the syslog receiver is unreachable at start, the container is
// recreated with spec.Log.Fallback and labelled LabelLogFallback; see SyslogLog.
func (r *Runtime) Run(ctx context.Context, spec ContainerSpec) (string, error) {
	spec.setDefaults()
	if err := spec.Validate(); err != nil {
		return "", fmt.Errorf("run %s: %w", spec.Instance, err)
	}
	id, running, err := r.existing(ctx, spec)
	if err != nil {
		return "", err
	}
	if running {
		r.log.Info("container already running", "instance", spec.Instance, "id", short(id))
		return id, nil
	}
	if err := r.ensureImage(ctx, spec.Image); err != nil {
		return "", err
	}

	id, err = r.createAndStart(ctx, spec, spec.Log, false)
	if err == nil || !isLogDriverInit(err) {
		return id, err
	}
	fallback, ok := fallbackLog(spec.Log)
	if !ok {
		return "", err
	}
	r.log.Warn("syslog receiver unreachable; starting with fallback logging",
		"instance", spec.Instance, "address", spec.Log.Address, "fallback", fallbackTarget(fallback), "err", err)
	return r.createAndStart(ctx, spec, fallback, true)
}

// existing looks for a container already named for the instance. A running one
// of this instance is returned; anything else under the name is removed.
func (r *Runtime) existing(ctx context.Context, spec ContainerSpec) (id string, running bool, err error) {
	c, err := r.api.ContainerInspect(ctx, spec.Name())
	if cerrdefs.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("inspect %s: %w", spec.Name(), err)
	}
	if c.State != nil && c.State.Running && c.Config != nil &&
		c.Config.Labels[LabelInstance] == spec.Instance && c.Config.Labels[LabelHost] == spec.Host {
		return c.ID, true, nil
	}
	r.log.Info("removing stale container", "name", spec.Name(), "id", short(c.ID))
	if err := r.remove(ctx, c.ID); err != nil {
		return "", false, err
	}
	return "", false, nil
}

func (r *Runtime) ensureImage(ctx context.Context, ref string) error {
	_, err := r.api.ImageInspect(ctx, ref)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %q: %w", ref, err)
	}
	r.log.Info("pulling image", "image", ref)
	body, err := r.api.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return fmt.Errorf("pull image %q: %w: %w", ref, ErrImageUnavailable, err)
	}
	defer body.Close()
	// Pull failures after the request was accepted arrive inside the progress stream.
	if err := jsonmessage.DisplayJSONMessagesStream(body, io.Discard, 0, false, nil); err != nil {
		return fmt.Errorf("pull image %q: %w: %w", ref, ErrImageUnavailable, err)
	}
	if _, err := r.api.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("pull image %q: %w: %w", ref, ErrImageUnavailable, err)
	}
	return nil
}

// createAndStart creates and starts the container; a container that fails to
// start is removed so the name is free for a retry.
func (r *Runtime) createAndStart(ctx context.Context, spec ContainerSpec, log *SyslogLog, fellBack bool) (string, error) {
	cfg, host := containerConfig(spec, log, fellBack)
	created, err := r.api.ContainerCreate(ctx, cfg, host, nil, nil, spec.Name())
	if err != nil {
		return "", fmt.Errorf("create %s: %w", spec.Name(), err)
	}
	if err := r.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		startErr := fmt.Errorf("start %s: %w", spec.Name(), err)
		if rmErr := r.remove(context.WithoutCancel(ctx), created.ID); rmErr != nil {
			return "", errors.Join(startErr, rmErr)
		}
		return "", startErr
	}
	r.log.Info("container started", "instance", spec.Instance, "id", short(created.ID),
		"addr", fmt.Sprintf("%s:%d", spec.HostIP, spec.HostPort))
	return created.ID, nil
}

// isLogDriverInit reports a start that failed because the log driver could
// not reach its receiver. The engine (20.10 through 28) says so only in text.
func isLogDriverInit(err error) bool {
	return err != nil && strings.Contains(err.Error(), "failed to initialize logging driver")
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
