package agent

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/client"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/events"
)

// syncTimeout bounds one sync, image pull included.
const syncTimeout = 10 * time.Minute

// sync brings one instance's container in line with the events and
// reports what it finds. The queue runs it serially per instance, so a
// container being stopped here is never reported as exited elsewhere. An
// error means "try again later": Docker or NATS were unreachable.
func (a *Agent) sync(ctx context.Context, id string) error {
	// A hung engine must not hold the instance forever: give up, and the
	// queue retries.
	ctx, cancel := context.WithTimeout(ctx, syncTimeout+a.cfg.StopTimeout)
	defer cancel()
	a.mu.Lock()
	inst := a.state.get(id)
	a.mu.Unlock()
	c, st, err := a.find(ctx, id)
	if err != nil {
		return err
	}
	act := decide(inst, c)
	if c != nil {
		a.log.Debug("instance sync", "instance", id, "action", act, "known", inst != nil, "container", short(c.ID), "state", c.State)
	} else {
		a.log.Debug("instance sync", "instance", id, "action", act, "known", inst != nil)
	}
	switch act {
	case actRun:
		return a.run(ctx, inst)
	case actReportStarted:
		return a.reportStarted(ctx, inst.spec, c.ID)
	case actReportExited:
		a.log.Info("instance exited", "instance", id, "container", short(c.ID),
			"exit_code", st.ExitCode, "oom_killed", st.OOMKilled)
		return a.reportExit(ctx, inst.spec, c.ID, st)
	case actStop:
		if err := a.rt.Stop(ctx, c.ID, a.cfg.StopTimeout); err != nil {
			return err
		}
		a.log.Info("instance stopped", "instance", id, "container", short(c.ID))
		return a.reportStopped(ctx, inst.spec)
	case actReportStopped:
		return a.reportStopped(ctx, inst.spec)
	case actRemoveOrphan:
		a.log.Info("removing orphan container", "instance", id, "container", short(c.ID), "app", c.App)
		return a.rt.Stop(ctx, c.ID, a.cfg.StopTimeout)
	}
	return nil
}

// find returns the instance's container on this host (nil if none) and
// its state. The state comes from inspecting it: the engine's list can
// still say "running" just after the container's die event.
func (a *Agent) find(ctx context.Context, id string) (*dockerrt.Container, dockerrt.State, error) {
	cs, err := a.rt.List(ctx, a.cfg.HostID)
	if err != nil {
		return nil, dockerrt.State{}, err
	}
	for _, c := range cs {
		if c.Instance != id {
			continue
		}
		st, err := a.rt.Inspect(ctx, c.ID)
		if errors.Is(err, dockerrt.ErrNotFound) {
			return nil, dockerrt.State{}, nil
		}
		if err != nil {
			return nil, dockerrt.State{}, err
		}
		c.State, c.Running = st.Status, st.Running
		return &c, st, nil
	}
	return nil, dockerrt.State{}, nil
}

// run starts the instance. A failure that is the instance's own (missing
// image, port taken, bad spec) is reported as an exit with code -1; one
// that is Docker's (unreachable) is retried.
func (a *Agent) run(ctx context.Context, inst *instance) error {
	s := inst.spec
	if s.HostAddr != "" && s.HostAddr != a.cfg.Addr {
		a.log.Warn("instance scheduled for another address; publishing on the host's own",
			"instance", s.Instance, "scheduled", s.HostAddr, "addr", a.cfg.Addr)
	}
	id, err := a.rt.Run(ctx, a.containerSpec(s))
	if err != nil {
		if a.transient(ctx, err) {
			return err
		}
		a.log.Warn("instance failed to start", "instance", s.Instance, "image", s.Image, "err", err)
		return a.reportFailed(ctx, s, err)
	}
	return a.reportStarted(ctx, s, id)
}

func (a *Agent) containerSpec(s events.InstanceScheduled) dockerrt.ContainerSpec {
	spec := dockerrt.ContainerSpec{
		App:           s.App,
		Instance:      s.Instance,
		Host:          a.cfg.HostID,
		Image:         s.Image,
		HostIP:        a.cfg.Addr,
		HostPort:      s.HostPort,
		ContainerPort: s.ContainerPort,
		Env:           s.Env,
		MemoryBytes:   s.MemoryBytes,
		NanoCPUs:      int64(s.CPUs * 1e9),
		ReadOnly:      s.Security.ReadOnly,
		User:          s.Security.User,
		CapAdd:        s.Security.CapAdd,
	}
	if a.cfg.SyslogAddr != "" {
		spec.Log = &dockerrt.SyslogLog{Address: a.cfg.SyslogAddr}
	}
	return spec
}

// transient tells Docker's failures from the instance's: if the engine
// can't even list containers, it is the engine that failed.
func (a *Agent) transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || client.IsErrConnectionFailed(err) {
		return true
	}
	if errors.Is(err, dockerrt.ErrImageUnavailable) {
		return false
	}
	_, lerr := a.rt.List(ctx, a.cfg.HostID)
	return lerr != nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// noteStarted etc. record a report locally at once, so a sync running
// before the event comes back from the stream doesn't report it twice.
func (a *Agent) note(id string, fn func(*instance)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.state.instances[id]; ok {
		fn(i)
	}
}

func (a *Agent) forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.state.instances, id)
}
