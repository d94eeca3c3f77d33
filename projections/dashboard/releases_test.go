package dashboard

import (
	"encoding/json"
	"testing"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

func TestStepLabel(t *testing.T) {
	in := &events.RolloutInputs{Desired: 3, Available: 2, Healthy: 3}
	for _, tc := range []struct {
		strategy, status string
		weight           int
		in               *events.RolloutInputs
		want             string
	}{
		{events.StrategyCanary, statusProgressing, 50, in, "canary 50%"},
		{events.StrategyCanary, statusPaused, 10, nil, "canary 10%, paused"},
		{events.StrategyRolling, statusProgressing, 0, in, "rolling 2/3"},
		{events.StrategyRolling, statusProgressing, 0, nil, "rolling starting"},
		{events.StrategyRolling, statusPaused, 0, in, "rolling 2/3, paused"},
	} {
		if got := stepLabel(tc.strategy, tc.weight, tc.status, tc.in); got != tc.want {
			t.Errorf("stepLabel(%s, %d, %s) = %q, want %q", tc.strategy, tc.weight, tc.status, got, tc.want)
		}
	}
}

func TestRolloutViewMeasurementsAndThresholds(t *testing.T) {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	spec := raw(events.RolloutSpec{Strategy: events.StrategyCanary, CanarySteps: []int{10, 50, 100}, MaxErrorRate: 0.01, MaxP99MS: 200})
	measured := events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, Requests: 400, ErrorRate: 0.02, P99MS: 150}
	to := 1
	ro := readapi.Rollout{Release: 2, From: 1, Strategy: events.StrategyCanary, Spec: spec, Status: "rolled_back",
		Weight: 10, RolledBackTo: &to, Inputs: raw(events.RolloutInputs{}),
		Steps: []readapi.RolloutStep{
			{Seq: 5, Event: "started", Weight: 10},
			{Seq: 6, Event: "stepped", Step: 0, Weight: 10, Inputs: raw(measured)},
			{Seq: 7, Event: "paused", Weight: 10},
			{Seq: 8, Event: "rolled_back", Weight: 10, Inputs: raw(events.RolloutInputs{})},
		}}
	v := rolloutView(ro)
	if v.Live || !v.HasInputs || v.Inputs.Requests != 400 || v.MeasuredAt.Seq != 6 {
		t.Fatalf("view %+v: want the stepped event's measurements, not the rollback's zeros", v)
	}
	if !v.ErrorOver || v.P99Over {
		t.Errorf("error over %v, p99 over %v; want 2%% over 1%%, 150 ms under 200 ms", v.ErrorOver, v.P99Over)
	}
	if len(v.Steps) != 4 || v.Steps[1].Inputs == "" || v.Steps[2].Inputs != "" {
		t.Errorf("steps %+v: want all four, inputs only where the event has them", v.Steps)
	}
	rels := []readapi.Release{{Version: 2}, {Version: 1}}
	if got := currentRelease(rels, &v); got != 1 {
		t.Errorf("current release after rolling back to 1 is %d", got)
	}
	if got := currentRelease(rels, nil); got != 2 {
		t.Errorf("current release with no rollout is %d, want the newest", got)
	}
	v.RolledBackTo = nil
	if got := currentRelease(rels, &v); got != 2 {
		t.Errorf("current release during the rollout of 2 is %d", got)
	}
}
