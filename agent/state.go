package agent

import "github.com/berth-dev/berth/events"

// instance is what the agent knows of one instance placed on its host,
// folded from the app events.
type instance struct {
	spec        events.InstanceScheduled
	unscheduled bool
	// started is the container last reported started.
	started string
	// exited: an exit, or a failure to start, was reported. The agent
	// never runs the instance again; the platform replaces it.
	exited bool
}

// desired returns whether the instance should have a container.
func (i *instance) desired() bool { return !i.unscheduled }

// state is the agent's view of the instances on its host. Not safe for
// concurrent use; Agent guards it.
type state struct {
	host      string
	instances map[string]*instance
}

func newState(host string) *state {
	return &state{host: host, instances: map[string]*instance{}}
}

// apply folds one app event in and returns the instance the agent must
// (re)consider because of it, if any. Facts about instances of other
// hosts, or already forgotten ones, are ignored.
func (s *state) apply(e events.Event) (id string, act bool) {
	switch e := e.(type) {
	case events.InstanceScheduled:
		if e.Host != s.host {
			return "", false
		}
		s.instances[e.Instance] = &instance{spec: e}
		return e.Instance, true
	case events.InstanceUnscheduled:
		if i, ok := s.instances[e.Instance]; ok {
			i.unscheduled = true
			return e.Instance, true
		}
	case events.InstanceStarted:
		if i, ok := s.instances[e.Instance]; ok {
			i.started = e.ContainerID
		}
	case events.InstanceExited:
		if i, ok := s.instances[e.Instance]; ok {
			i.exited = true
		}
	case events.InstanceStopped:
		// Usually the agent's own report coming back; if someone else
		// says so, a container still running is removed.
		if _, ok := s.instances[e.Instance]; ok {
			delete(s.instances, e.Instance)
			return e.Instance, true
		}
	}
	return "", false
}

// get returns a copy of the instance, or nil if unknown.
func (s *state) get(id string) *instance {
	i, ok := s.instances[id]
	if !ok {
		return nil
	}
	c := *i
	return &c
}
