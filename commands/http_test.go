package commands_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
)

func TestHTTPWriteEndpoints(t *testing.T) {
	st := newStore(t)
	mux := http.NewServeMux()
	commands.NewHandler(st, "api").Routes(mux)
	srv := httptest.NewServer(httpjson.RequireToken("s3cret", mux, "/healthz"))
	defer srv.Close()

	post := func(path, body, key, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set(commands.IdempotencyHeader, key)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s: response is not JSON: %v", path, err)
		}
		return resp.StatusCode, out
	}

	if code, body := post("/v1/apps/web/deploy", `{"image":"nginx"}`, "", "wrong"); code != 401 || body["error"] == nil {
		t.Fatalf("wrong token: %d %v", code, body)
	}
	if code, body := post("/v1/apps/web/deploy", `{"image":"nginx","replicas":2}`, "d1", "s3cret"); code != 201 {
		t.Fatalf("deploy: %d %v", code, body)
	}
	if code, body := post("/v1/apps/web/deploy", `{"image":"nginx","replicas":2}`, "d1", "s3cret"); code != 200 || body["duplicate"] != true {
		t.Fatalf("retried deploy: %d %v", code, body)
	}
	cases := []struct {
		path, body string
		code       int
		field      string
	}{
		{"/v1/apps/web/deploy", `{"image":"nginx","memory":"12qb"}`, 400, "memory"},
		{"/v1/apps/web/deploy", `{"image":"nginx","replicas":-1}`, 400, "replicas"},
		{"/v1/apps/web/deploy", `{"image":"Not A Ref"}`, 400, "image"},
		{"/v1/apps/Web_1/deploy", `{"image":"nginx"}`, 400, "app"},
		{"/v1/apps/web/deploy", `{"image":"nginx","colour":"red"}`, 400, ""},
		{"/v1/apps/web/scale", `{"replicas":"three"}`, 400, ""},
		{"/v1/apps/ghost/scale", `{"replicas":3}`, 404, ""},
		{"/v1/apps/web/instances/web-000000/health-fail", `{}`, 404, ""},
		{"/v1/apps/web/deny", `{"deny":["300.1.1.1"]}`, 400, "deny"},
	}
	for _, c := range cases {
		code, body := post(c.path, c.body, "", "s3cret")
		if code != c.code || body["error"] == nil || (c.field != "" && body["field"] != c.field) {
			t.Errorf("%s %s: %d %v; want %d naming %q", c.path, c.body, code, body, c.code, c.field)
		}
	}
	if code, body := post("/v1/apps/web/scale", `{"replicas":3}`, "", "s3cret"); code != 201 {
		t.Fatalf("scale: %d %v", code, body)
	}
	if code, _ := post("/v1/apps/web/stop", ``, "", "s3cret"); code != 201 {
		t.Fatalf("stop: %d", code)
	}
	if code, body := post("/v1/apps/web/scale", `{"replicas":1}`, "", "s3cret"); code != 409 {
		t.Fatalf("scale stopped app: %d %v", code, body)
	}
}
