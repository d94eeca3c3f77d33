package commands_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
)

// The audit's attack: POST /scale with {} or no body scaled the app to
// zero. Required fields are required, internal ones are refused, and the
// app keeps its replicas.
func TestScaleWithoutReplicasIsRefused(t *testing.T) {
	st := newStore(t)
	h := commands.NewHandler(st, "api")
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	deploy(t, h, "web", 3)
	if _, err := h.Execute(context.Background(), "web", "", commands.SetDomains{App: "web", Domains: []string{"web.example.test"}}.Decide); err != nil {
		t.Fatal(err)
	}

	cases := []struct{ path, body, field string }{
		{"/v1/apps/web/scale", `{}`, "replicas"},
		{"/v1/apps/web/scale", ``, "replicas"},
		{"/v1/apps/web/scale", `{"replicas":null}`, "replicas"},
		{"/v1/apps/web/scale", `{"replicas":0,"cause":"autoscale"}`, ""},
		{"/v1/apps/web/domains", `{}`, "domains"},
		{"/v1/apps/web/deny", ``, "deny"},
	}
	for _, c := range cases {
		resp, err := http.Post(srv.URL+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || body["error"] == nil || (c.field != "" && body["field"] != c.field) {
			t.Errorf("%s %q: %d %v; want 400 naming %q", c.path, c.body, resp.StatusCode, body, c.field)
		}
	}
	app, err := h.State(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if app.Spec.Replicas != 3 || len(app.Domains) != 1 {
		t.Fatalf("refused requests changed the app: replicas %d, domains %v", app.Spec.Replicas, app.Domains)
	}
	resp, err := http.Post(srv.URL+"/v1/apps/web/scale", "application/json", strings.NewReader(`{"replicas":0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("an explicit scale to 0: %d", resp.StatusCode)
	}
}
