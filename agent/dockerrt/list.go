package dockerrt

import (
	"context"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// Container is a Berth container as the engine lists it.
type Container struct {
	ID, Name                string
	App, Instance, Host     string
	Image                   string
	State                   string // created, running, exited, dead, ...
	Running                 bool
	HostIP                  string // published address of the first TCP port, if any
	HostPort, ContainerPort int
	Labels                  map[string]string
	Created                 time.Time
}

// State is the part of a container's inspect result the agent acts on.
type State struct {
	Status    string
	Running   bool
	ExitCode  int
	OOMKilled bool
}

// List returns every container, running or not, labelled for host.
func (r *Runtime) List(ctx context.Context, host string) ([]Container, error) {
	summaries, err := r.api.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelHost+"="+host)),
	})
	if err != nil {
		return nil, fmt.Errorf("list containers of host %q: %w", host, err)
	}
	out := make([]Container, 0, len(summaries))
	for _, s := range summaries {
		out = append(out, fromSummary(s))
	}
	return out, nil
}

func fromSummary(s container.Summary) Container {
	c := Container{
		ID:       s.ID,
		App:      s.Labels[LabelApp],
		Instance: s.Labels[LabelInstance],
		Host:     s.Labels[LabelHost],
		Image:    s.Image,
		State:    string(s.State),
		Running:  s.State == container.StateRunning,
		Labels:   s.Labels,
		Created:  time.Unix(s.Created, 0),
	}
	if len(s.Names) > 0 {
		c.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	for _, p := range s.Ports {
		if p.Type == "tcp" && p.PublicPort != 0 {
			c.HostIP, c.HostPort, c.ContainerPort = p.IP, int(p.PublicPort), int(p.PrivatePort)
			break
		}
	}
	return c
}

// Inspect returns a container's state; a missing container gives ErrNotFound.
func (r *Runtime) Inspect(ctx context.Context, id string) (State, error) {
	c, err := r.api.ContainerInspect(ctx, id)
	if cerrdefs.IsNotFound(err) {
		return State{}, fmt.Errorf("inspect %s: %w", short(id), ErrNotFound)
	}
	if err != nil {
		return State{}, fmt.Errorf("inspect %s: %w", short(id), err)
	}
	if c.State == nil {
		return State{}, nil
	}
	return State{
		Status:    string(c.State.Status),
		Running:   c.State.Running,
		ExitCode:  c.State.ExitCode,
		OOMKilled: c.State.OOMKilled,
	}, nil
}
