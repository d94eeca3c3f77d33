package commands_test

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
)

// FuzzDeployDecode feeds arbitrary request bodies through the deploy
// command's decoder and validation: it must never panic, and whatever it
// accepts must be a spec the scheduler can use.
func FuzzDeployDecode(f *testing.F) {
	f.Add([]byte(`{"image":"nginx","replicas":3,"memory":"512m","cpus":0.5,"env":{"A":"b"},"constraints":{"zone":"a"}}`))
	f.Add([]byte(`{"image":"x","replicas":-1}`))
	f.Add([]byte(`{"image":"x","memory":"12qb"}`))
	f.Add([]byte(`{"image":"x","health_interval":"1ns"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/apps/web/deploy", bytes.NewReader(body))
		var d commands.Deploy
		if err := httpjson.Decode(r, &d); err != nil {
			return
		}
		d.App = "web"
		spec, err := d.Spec()
		if err != nil {
			return
		}
		if spec.Image == "" || spec.Replicas < 0 || spec.Replicas > commands.MaxReplicas ||
			spec.Port < 1 || spec.Port > 65535 || spec.MemoryBytes < 0 || spec.HealthPath == "" ||
			spec.HealthPath[0] != '/' || spec.HealthThreshold < 1 || spec.HealthIntervalMS < 100 {
			t.Fatalf("accepted an unusable spec %+v from %q", spec, body)
		}
		if _, err := d.RolloutOptions.Spec(); err != nil {
			return
		}
		evs, err := d.Decide(appstate.NewApp("web"))
		if err != nil || len(evs) != 2 {
			t.Fatalf("valid spec not decided: %v", err)
		}
	})
}

func FuzzScaleDecode(f *testing.F) {
	f.Add([]byte(`{"replicas":3}`))
	f.Add([]byte(`{"replicas":-3}`))
	f.Add([]byte(`{"replicas":1e40}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"replicas":1,"cause":"autoscale"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/apps/web/scale", bytes.NewReader(body))
		c, err := commands.DecodeScale(r, "web")
		if err != nil {
			return
		}
		c.App = "web"
		app := appstate.NewApp("web")
		app.Exists = true
		evs, err := c.Decide(app)
		if err == nil && len(evs) == 1 && (c.Replicas < 0 || c.Replicas > commands.MaxReplicas) {
			t.Fatalf("accepted replicas %d", c.Replicas)
		}
	})
}
