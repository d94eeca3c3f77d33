package agent

import (
	"testing"

	"github.com/berth-dev/berth/agent/dockerrt"
)

func TestDecide(t *testing.T) {
	running := &dockerrt.Container{ID: "c1", State: "running", Running: true}
	exited := &dockerrt.Container{ID: "c1", State: "exited"}
	created := &dockerrt.Container{ID: "c1", State: "created"}
	paused := &dockerrt.Container{ID: "c1", State: "paused"}
	fresh := &instance{}
	startedC1 := &instance{started: "c1"}
	startedC0 := &instance{started: "c0"}
	gone := &instance{exited: true}
	unscheduled := &instance{unscheduled: true, started: "c1"}

	for _, tc := range []struct {
		name string
		inst *instance
		c    *dockerrt.Container
		want action
	}{
		{"nothing known, nothing there", nil, nil, actNone},
		{"container nobody claims is an orphan", nil, running, actRemoveOrphan},
		{"exited orphan too", nil, exited, actRemoveOrphan},
		{"new instance is run", fresh, nil, actRun},
		{"started instance whose container vanished is recreated", startedC1, nil, actRun},
		{"half-created container is replaced", fresh, created, actRun},
		{"exited instance is not run again", gone, nil, actNone},
		{"exited instance's created container is left", gone, created, actNone},
		{"running, not yet reported", fresh, running, actReportStarted},
		{"running under another container than reported", startedC0, running, actReportStarted},
		{"running and reported", startedC1, running, actNone},
		{"running but already reported exited", gone, running, actNone},
		{"exit not yet reported", startedC1, exited, actReportExited},
		{"exit seen while the agent was away", fresh, exited, actReportExited},
		{"dead counts as exited", startedC1, &dockerrt.Container{ID: "c1", State: "dead"}, actReportExited},
		{"exit already reported", gone, exited, actNone},
		{"mid-change states wait for the next event", startedC1, paused, actNone},
		{"unscheduled with a running container is stopped", unscheduled, running, actStop},
		{"unscheduled with an exited container is removed too", unscheduled, exited, actStop},
		{"unscheduled without container is reported stopped", unscheduled, nil, actReportStopped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.inst, tc.c); got != tc.want {
				t.Errorf("decide = %v, want %v", got, tc.want)
			}
		})
	}
}
