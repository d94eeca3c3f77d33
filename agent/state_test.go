package agent

import (
	"testing"

	"github.com/berth-dev/berth/events"
)

func TestStateFoldsOnlyThisHostsInstances(t *testing.T) {
	s := newState("h1")
	steps := []struct {
		e       events.Event
		wantID  string
		wantAct bool
	}{
		{events.InstanceScheduled{App: "web", Instance: "web-000001", Host: "h2"}, "", false},
		{events.InstanceScheduled{App: "web", Instance: "web-000002", Host: "h1", Image: "img"}, "web-000002", true},
		{events.InstanceStarted{App: "web", Instance: "web-000001", Host: "h2", ContainerID: "x"}, "", false},
		{events.InstanceStarted{App: "web", Instance: "web-000002", Host: "h1", ContainerID: "c2"}, "", false},
		{events.InstanceUnscheduled{App: "web", Instance: "web-000001", Host: "h2"}, "", false},
		{events.InstanceScheduled{App: "web", Instance: "web-000003", Host: "h1"}, "web-000003", true},
		{events.InstanceExited{App: "web", Instance: "web-000003", Host: "h1", ExitCode: 1}, "", false},
		{events.InstanceUnscheduled{App: "web", Instance: "web-000003", Host: "h1"}, "web-000003", true},
		{events.AppScaled{App: "web", Replicas: 3}, "", false},
	}
	for i, st := range steps {
		id, act := s.apply(st.e)
		if id != st.wantID || act != st.wantAct {
			t.Fatalf("step %d (%T): got %q %v, want %q %v", i, st.e, id, act, st.wantID, st.wantAct)
		}
	}
	if s.get("web-000001") != nil {
		t.Error("instance of another host is tracked")
	}
	two := s.get("web-000002")
	if two == nil || two.started != "c2" || two.exited || !two.desired() || two.spec.Image != "img" {
		t.Errorf("web-000002: %+v", two)
	}
	three := s.get("web-000003")
	if three == nil || !three.exited || three.desired() {
		t.Errorf("web-000003: %+v", three)
	}

	// Stopped: forgotten, and acted on once so a leftover container goes.
	if id, act := s.apply(events.InstanceStopped{App: "web", Instance: "web-000003", Host: "h1"}); id != "web-000003" || !act {
		t.Errorf("stopped: got %q %v", id, act)
	}
	if s.get("web-000003") != nil {
		t.Error("stopped instance still tracked")
	}
	if _, act := s.apply(events.InstanceStopped{App: "web", Instance: "web-000003", Host: "h1"}); act {
		t.Error("second stop acted on")
	}
}

func TestGetReturnsACopy(t *testing.T) {
	s := newState("h1")
	s.apply(events.InstanceScheduled{App: "web", Instance: "web-000001", Host: "h1"})
	s.get("web-000001").exited = true
	if s.get("web-000001").exited {
		t.Error("get exposed the state")
	}
}
