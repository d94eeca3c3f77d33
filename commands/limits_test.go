package commands_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
)

// The audit's attack: a 900 KB env value and 5,000 env vars were accepted
// and copied into the log. Each limit is a 400 naming it, and nothing is
// appended.
func TestDeployEnvLimits(t *testing.T) {
	st := newStore(t)
	h := commands.NewHandler(st, "api")
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	many := map[string]string{}
	for i := range 5000 {
		many[fmt.Sprintf("V%d", i)] = "x"
	}
	wide := map[string]string{}
	for i := range 8 {
		wide[fmt.Sprintf("V%d", i)] = strings.Repeat("x", 20<<10)
	}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"900 KB value", map[string]string{"BIG": strings.Repeat("x", 900<<10)}, fmt.Sprintf("limit of %d", commands.MaxEnvValueBytes)},
		{"5,000 variables", many, fmt.Sprintf("limit of %d", commands.MaxEnvVars)},
		{"long name", map[string]string{"K" + strings.Repeat("x", 300): "v"}, fmt.Sprintf("limit of %d bytes", commands.MaxEnvKeyBytes)},
		{"total", wide, fmt.Sprintf("limit of %d", commands.MaxEnvTotalBytes)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"image": "nginx", "env": c.env})
			resp, err := http.Post(srv.URL+"/v1/apps/web/deploy", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			msg, _ := out["error"].(string)
			if resp.StatusCode != 400 || out["field"] != "env" || !strings.Contains(msg, c.want) {
				t.Fatalf("%d %v; want 400 on env naming %q", resp.StatusCode, out, c.want)
			}
		})
	}
	app, err := h.State(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if app.Exists || app.Seq != 0 {
		t.Fatalf("refused deploys appended events (seq %d)", app.Seq)
	}
}
