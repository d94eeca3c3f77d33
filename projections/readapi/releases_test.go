package readapi_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

var rollingSpec = events.RolloutSpec{Strategy: events.StrategyRolling, MaxSurge: "25%", MaxUnavailable: "0",
	MinHealthyMS: 5000, ProgressDeadlineMS: 120000, AutoRollback: true, MaxFailures: 3}

var releaseHistory = []events.Event{
	events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "web:1", Replicas: 2, Port: 80}},
	events.RolloutStarted{App: "web", Release: 1, Spec: rollingSpec, Reason: "first deploy"},
	events.RolloutSucceeded{App: "web", Release: 1, Reason: "2/2 healthy", Inputs: events.RolloutInputs{Desired: 2, Healthy: 2, Available: 2}},
	events.AppDeployed{App: "web", Version: 2, Spec: events.Spec{Image: "web:2", Replicas: 2, Port: 80}},
	events.RolloutStarted{App: "web", Release: 2, From: 1, Spec: rollingSpec, Reason: "deploy"},
	events.RolloutStepped{App: "web", Release: 2, Step: 1, KeepOld: 1, Reason: "1 new instance available",
		Inputs: events.RolloutInputs{Desired: 2, Healthy: 1, Available: 1, OldLive: 2, Instances: []string{"web-2a"}}},
	events.RolloutRolledBack{App: "web", Release: 2, To: 1, Reason: "3 failures of release 2",
		Inputs: events.RolloutInputs{Desired: 2, Healthy: 0, OldLive: 2, Failures: 3}},
	events.AppDeployed{App: "other", Version: 1, Spec: events.Spec{Image: "other:1", Replicas: 1, Port: 80}},
}

func TestReleasesAndRollout(t *testing.T) {
	base := server(t, releaseHistory...)

	var rels []readapi.Release
	get(t, base, "/v1/apps/web/releases", 200, &rels)
	if len(rels) != 2 || rels[0].Version != 2 || rels[1].Version != 1 {
		t.Fatalf("releases = %+v, want 2 then 1", rels)
	}
	if r := rels[0]; r.Image != "web:2" || r.Outcome != "rolled_back" || r.Reason != "3 failures of release 2" || r.CreatedAt.IsZero() {
		t.Errorf("release 2 = %+v", r)
	}
	if r := rels[1]; r.Outcome != "succeeded" || r.RollingOut {
		t.Errorf("release 1 = %+v", r)
	}
	var spec events.Spec
	if err := json.Unmarshal(rels[0].Spec, &spec); err != nil || spec.Image != "web:2" || spec.Replicas != 2 {
		t.Errorf("release 2 spec = %s (%v)", rels[0].Spec, err)
	}

	var ro readapi.Rollout
	get(t, base, "/v1/apps/web/rollout", 200, &ro)
	if ro.Release != 2 || ro.From != 1 || ro.Status != "rolled_back" || ro.Strategy != "rolling" || ro.Step != 1 ||
		ro.KeepOld != 1 || ro.RolledBackTo == nil || *ro.RolledBackTo != 1 || ro.EndedAt == nil {
		t.Errorf("latest rollout = %+v", ro)
	}
	var in events.RolloutInputs
	if err := json.Unmarshal(ro.Inputs, &in); err != nil || in.Failures != 3 {
		t.Errorf("last inputs = %s (%v)", ro.Inputs, err)
	}
	var kinds []string
	for _, s := range ro.Steps {
		kinds = append(kinds, s.Event)
	}
	if fmt.Sprint(kinds) != "[started stepped rolled_back]" {
		t.Errorf("steps = %v", kinds)
	}
	if err := json.Unmarshal(ro.Steps[1].Inputs, &in); err != nil || len(in.Instances) != 1 || ro.Steps[1].Reason != "1 new instance available" {
		t.Errorf("step 1 = %+v (%v)", ro.Steps[1], err)
	}

	get(t, base, "/v1/apps/web/rollout?release=1", 200, &ro)
	if ro.Release != 1 || ro.Status != "succeeded" || len(ro.Steps) != 2 {
		t.Errorf("rollout of release 1 = %+v", ro)
	}

	var body struct {
		Error string `json:"error"`
	}
	for path, status := range map[string]int{
		"/v1/apps/other/rollout":           404, // deployed, never rolled out
		"/v1/apps/web/rollout?release=7":   404,
		"/v1/apps/nope/rollout":            404,
		"/v1/apps/nope/releases":           404,
		"/v1/apps/Not_An_App/releases":     400,
		"/v1/apps/web/rollout?release=one": 400,
		"/v1/apps/web/rollout?release=0":   400,
	} {
		body.Error = ""
		get(t, base, path, status, &body)
		if body.Error == "" {
			t.Errorf("GET %s: no error message", path)
		}
	}
}
