package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/events"
)

// Reports are facts claimed on the host's fact subject, under an
// idempotency key derived from what they report, so an agent that
// reports again after a restart is deduplicated. The server's intake
// checks each claim (is the instance this host's?) before appending it.

func (a *Agent) reportStarted(ctx context.Context, s events.InstanceScheduled, containerID string) error {
	err := a.append(ctx, events.InstanceStarted{App: s.App, Instance: s.Instance, Host: a.cfg.HostID, ContainerID: containerID},
		"started/"+containerID)
	if err == nil {
		a.note(s.Instance, func(i *instance) { i.started = containerID })
	}
	return err
}

// reportExit: a container's exit; Berth never restarts a container, so
// its id names the exit.
func (a *Agent) reportExit(ctx context.Context, s events.InstanceScheduled, containerID string, st dockerrt.State) error {
	err := a.append(ctx, events.InstanceExited{App: s.App, Instance: s.Instance, Host: a.cfg.HostID,
		ExitCode: st.ExitCode, OOMKilled: st.OOMKilled}, "exited/"+containerID)
	if err == nil {
		a.note(s.Instance, func(i *instance) { i.exited = true })
	}
	return err
}

// reportFailed: the instance could not be started; it never will be.
func (a *Agent) reportFailed(ctx context.Context, s events.InstanceScheduled, cause error) error {
	err := a.append(ctx, events.InstanceExited{App: s.App, Instance: s.Instance, Host: a.cfg.HostID,
		ExitCode: -1, Error: cause.Error()}, "failed/"+s.Instance)
	if err == nil {
		a.note(s.Instance, func(i *instance) { i.exited = true })
	}
	return err
}

func (a *Agent) reportStopped(ctx context.Context, s events.InstanceScheduled) error {
	err := a.append(ctx, events.InstanceStopped{App: s.App, Instance: s.Instance, Host: a.cfg.HostID},
		"stopped/"+s.Instance)
	if err == nil {
		a.forget(s.Instance)
	}
	return err
}

// appendTimeout bounds one report; a report that times out is retried.
const appendTimeout = 15 * time.Second

func (a *Agent) append(ctx context.Context, e events.Event, key string) error {
	ctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	if err := a.bus.Claim(ctx, e, key); err != nil {
		return fmt.Errorf("report %s of %s: %w", e.Kind(), e.Aggregate().ID, err)
	}
	return nil
}
