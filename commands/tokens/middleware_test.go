package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/authz"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/commands/tokens"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

const bootstrap = "bootstrap-secret"

// api is the token endpoints and every route of authz.Routes (answering
// 200 with the actor) behind the middleware, over a real event store.
type api struct {
	t     *testing.T
	url   string
	store *events.Store
	reg   *tokens.Registry
}

func newAPI(t *testing.T) *api {
	t.Helper()
	store := natstest.Store(t, "test")
	reg := tokens.NewRegistry(bootstrap)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = reg.Run(ctx, store) }()
	t.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	tokens.NewAPI(store, reg).Routes(mux)
	mux.Handle("GET /v1/audit", tokens.Audit(store))
	mux.HandleFunc("GET /v1/apps", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, []map[string]string{{"name": "a1"}, {"name": "b1"}, {"name": "d1"}})
	})
	for route := range authz.Routes {
		if _, pattern := mux.Handler(httptest.NewRequest(strings.Fields(route)[0], concrete(route), nil)); pattern == route {
			continue // served for real above
		}
		mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			// Appends an event, as a command would, to show the actor.
			e := events.AppScaled{App: "web", Replicas: 1}
			if _, err := store.Append(r.Context(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
				httpjson.WriteError(w, r, err)
				return
			}
			httpjson.Write(w, http.StatusOK, map[string]string{"actor": events.ActorFrom(r.Context())})
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := httptest.NewServer(tokens.Middleware(reg, mux, mux, "/healthz"))
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL, store: store, reg: reg}
}

// concrete fills a route pattern's wildcards.
func concrete(route string) string {
	path := strings.Fields(route)[1]
	r := strings.NewReplacer("{app}", "web", "{instance}", "web-1", "{name}", "nobody")
	return r.Replace(path)
}

func (a *api) do(token, method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var b bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&b).Encode(body)
	}
	req, _ := http.NewRequest(method, a.url+path, &b)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (a *api) create(name, role, ttl string) string {
	a.t.Helper()
	code, out := a.do(bootstrap, "POST", "/v1/tokens", map[string]any{"name": name, "role": role, "ttl": ttl})
	if code != http.StatusCreated {
		a.t.Fatalf("create %s: %d %v", name, code, out)
	}
	return out["token"].(string)
}

// Each role against each route, through the real middleware.
func TestEachRoleAgainstEachRoute(t *testing.T) {
	a := newAPI(t)
	for _, role := range authz.Roles {
		tok := a.create("t-"+string(role), string(role), "")
		for route, need := range authz.Routes {
			method := strings.Fields(route)[0]
			if route == "POST /v1/tokens" || route == "POST /v1/tokens/{name}/revoke" || route == "GET /v1/audit" || route == "GET /v1/tokens" {
				continue // real handlers, tested below
			}
			code, out := a.do(tok, method, concrete(route), nil)
			want := http.StatusForbidden
			if authz.Allows(role, need) {
				want = http.StatusOK
			}
			if code != want {
				t.Errorf("%s %s: %d %v, want %d", role, route, code, out, want)
			}
			if code == http.StatusForbidden && !strings.Contains(out["error"].(string), string(need)) {
				t.Errorf("403 does not name the capability: %v", out)
			}
			if code == http.StatusOK && route != "GET /v1/apps" && out["actor"] != "t-"+string(role) {
				t.Errorf("%s %s: actor %v", role, route, out["actor"])
			}
		}
		code, _ := a.do(tok, "GET", "/v1/tokens", nil)
		if (code == http.StatusOK) != (role == authz.Admin) {
			t.Errorf("%s lists tokens: %d", role, code)
		}
	}
}

func TestUnauthenticatedAnswers401(t *testing.T) {
	a := newAPI(t)
	for name, tok := range map[string]string{
		"missing":   "",
		"unknown":   "bt.ghost." + strings.Repeat("A", 43),
		"malformed": "hunter2",
	} {
		code, out := a.do(tok, "GET", "/v1/apps", nil)
		if code != http.StatusUnauthorized || out["error"] == "" {
			t.Errorf("%s token: %d %v, want 401 with an error", name, code, out)
		}
	}
	if code, _ := a.do("", "GET", "/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz needs a token: %d", code)
	}
}

func TestRevocationAndExpiry(t *testing.T) {
	a := newAPI(t)
	tok := a.create("ci", "deployer", "")
	if code, _ := a.do(tok, "POST", "/v1/apps/web/deploy", nil); code != http.StatusOK {
		t.Fatalf("fresh token: %d", code)
	}
	if code, out := a.do(bootstrap, "POST", "/v1/tokens", map[string]any{"name": "ci", "role": "admin"}); code != http.StatusConflict {
		t.Fatalf("re-create live token: %d %v, want 409", code, out)
	}
	if code, out := a.do(bootstrap, "POST", "/v1/tokens/ci/revoke", nil); code != http.StatusOK {
		t.Fatalf("revoke: %d %v", code, out)
	}
	natstest.Eventually(t, time.Second, "revocation effective", func() bool {
		code, _ := a.do(tok, "GET", "/v1/apps", nil)
		return code == http.StatusUnauthorized
	})
	if code, _ := a.do(bootstrap, "POST", "/v1/tokens/ci/revoke", nil); code != http.StatusNotFound {
		t.Errorf("revoke twice: %d, want 404", code)
	}

	short := a.create("short", "viewer", "1ms")
	natstest.Eventually(t, 5*time.Second, "expired token refused", func() bool {
		code, out := a.do(short, "GET", "/v1/apps", nil)
		return code == http.StatusUnauthorized && strings.Contains(out["error"].(string), "expired")
	})

	for field, body := range map[string]map[string]any{
		"role": {"name": "x", "role": "root"},
		"name": {"name": "Bad Name", "role": "viewer"},
		"ttl":  {"name": "x", "role": "viewer", "ttl": "forever"},
	} {
		code, out := a.do(bootstrap, "POST", "/v1/tokens", body)
		if code != http.StatusBadRequest || out["field"] != field {
			t.Errorf("bad %s: %d %v", field, code, out)
		}
	}
}

func TestTokenListHasNoSecretsAndAuditNamesActors(t *testing.T) {
	a := newAPI(t)
	tok := a.create("alice", "operator", "24h")
	if code, _ := a.do(tok, "POST", "/v1/apps/web/scale", nil); code != http.StatusOK {
		t.Fatal("alice cannot scale")
	}
	req, _ := http.NewRequest("GET", a.url+"/v1/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+bootstrap)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0]["name"] != "alice" || list[0]["role"] != "operator" {
		t.Fatalf("list = %v", list)
	}
	b, _ := json.Marshal(list)
	_, secret, _ := tokens.Parse(tok)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), tokens.Hash(tok)) {
		t.Fatal("token list shows the secret or its hash")
	}

	req, _ = http.NewRequest("GET", a.url+"/v1/audit?actor=alice", nil)
	req.Header.Set("Authorization", "Bearer "+bootstrap)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var entries []tokens.AuditEntry
	_ = json.NewDecoder(resp.Body).Decode(&entries)
	resp.Body.Close()
	if len(entries) != 1 || entries[0].Actor != "alice" || entries[0].Type != "dev.berth.app.scaled" {
		t.Fatalf("audit for alice = %+v", entries)
	}
	// The grant itself is on record, made by the bootstrap admin.
	recs, _, err := a.store.Load(context.Background(), events.Token("alice"), 0)
	if err != nil || len(recs) != 1 || recs[0].Actor != tokens.BootstrapName {
		t.Fatalf("alice's grant: %+v %v", recs, err)
	}
}

// A token limited to project a acts on a's apps only, sees only them, and
// cannot deploy into another project or the default one.
func TestProjectIsolation(t *testing.T) {
	a := newAPI(t)
	for app, project := range map[string]string{"a1": "a", "b1": "b", "d1": ""} {
		e := events.AppDeployed{App: app, Version: 1, Spec: events.Spec{Image: "img", Project: project}}
		if _, err := a.store.Append(context.Background(), e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	code, out := a.do(bootstrap, "POST", "/v1/tokens", map[string]any{"name": "team-a", "role": "deployer", "projects": []string{"a"}})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	tok := out["token"].(string)
	natstest.Eventually(t, 10*time.Second, "projects known", func() bool {
		code, _ := a.do(tok, "POST", "/v1/apps/b1/scale", nil)
		return code == http.StatusForbidden
	})
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/v1/apps/a1/scale", nil, http.StatusOK},
		{"POST", "/v1/apps/a1/deploy", map[string]any{"image": "x"}, http.StatusOK},
		{"POST", "/v1/apps/a1/deploy", map[string]any{"image": "x", "project": "b"}, http.StatusForbidden},
		{"POST", "/v1/apps/b1/deploy", map[string]any{"image": "x", "project": "a"}, http.StatusForbidden},
		{"GET", "/v1/apps/b1", nil, http.StatusForbidden},
		{"GET", "/v1/apps/d1/instances", nil, http.StatusForbidden},
		{"POST", "/v1/apps/new1/deploy", map[string]any{"image": "x", "project": "a"}, http.StatusOK},
		{"POST", "/v1/apps/new2/deploy", map[string]any{"image": "x"}, http.StatusForbidden},
		{"GET", "/v1/events/stream", nil, http.StatusForbidden},
		{"GET", "/v1/events/stream?app=b1", nil, http.StatusForbidden},
		{"GET", "/v1/events/stream?app=a1", nil, http.StatusOK},
	} {
		if code, out := a.do(tok, c.method, c.path, c.body); code != c.want {
			t.Errorf("%s %s %v: %d %v, want %d", c.method, c.path, c.body, code, out, c.want)
		}
	}
	req, _ := http.NewRequest("GET", a.url+"/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var apps []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&apps)
	resp.Body.Close()
	if len(apps) != 1 || apps[0]["name"] != "a1" {
		t.Fatalf("team-a sees %v, want only a1", apps)
	}
	if code, out := a.do(bootstrap, "POST", "/v1/tokens", map[string]any{"name": "x", "role": "admin", "projects": []string{"a"}}); code != http.StatusBadRequest {
		t.Errorf("admin limited to a project: %d %v", code, out)
	}
}
