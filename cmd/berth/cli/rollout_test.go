package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

// fakeAPI answers like the Berth API: writes are recorded and answered
// with a command result, rollout reads come from a script that moves on
// with every poll, in the read API's own types.
type fakeAPI struct {
	t  *testing.T
	mu sync.Mutex
	// posts are the writes received, in order.
	posts []post
	// answer is the result of a write (default: one event, no release).
	answer map[string]any
	// rollout answers GET .../rollout?release=N (0: no parameter) at its
	// n-th call; nil means 404.
	rollout  func(release, n int) *readapi.Rollout
	calls    map[int]int
	releases []readapi.Release
	// instances answers GET .../instances at its n-th call.
	instances func(n int) []readapi.Instance
	instCalls int
}

type post struct {
	path string
	key  string
	body map[string]any
}

func newFakeAPI(t *testing.T) (*fakeAPI, string) {
	f := &fakeAPI{t: t, calls: map[int]int{}, answer: map[string]any{"seq": 9, "events": []string{"dev.berth.app.x"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			httpjson.WriteError(w, r, httpjson.BadRequest{Msg: "body: " + err.Error()})
			return
		}
		f.mu.Lock()
		f.posts = append(f.posts, post{path: r.URL.Path, key: r.Header.Get("Idempotency-Key"), body: body})
		ans := f.answer
		f.mu.Unlock()
		httpjson.Write(w, http.StatusOK, ans)
	})
	mux.HandleFunc("GET /v1/apps/{app}/rollout", func(w http.ResponseWriter, r *http.Request) {
		release, _ := strconv.Atoi(r.URL.Query().Get("release"))
		f.mu.Lock()
		n := f.calls[release]
		f.calls[release]++
		ro := f.rollout(release, n)
		f.mu.Unlock()
		if ro == nil {
			httpjson.Write(w, http.StatusNotFound, map[string]string{"error": "app web has no rollout: not found"})
			return
		}
		httpjson.Write(w, http.StatusOK, ro)
	})
	mux.HandleFunc("GET /v1/apps/{app}", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, readapi.App{Name: r.PathValue("app"), Version: 1, Replicas: 2})
	})
	mux.HandleFunc("GET /v1/apps/{app}/instances", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		insts := f.instances(f.instCalls)
		f.instCalls++
		f.mu.Unlock()
		httpjson.Write(w, http.StatusOK, insts)
	})
	mux.HandleFunc("GET /v1/apps/{app}/releases", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, f.releases)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeAPI) recorded() []post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]post(nil), f.posts...)
}

// run runs the CLI against the fake API and returns its exit code and
// output.
func run(t *testing.T, base string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, append([]string{"--api", base}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func inputs(in events.RolloutInputs) json.RawMessage {
	b, _ := json.Marshal(in)
	return b
}

// rolloutAt builds a rollout of release whose steps are the first n of
// steps, ending in status when n covers them all.
func rolloutAt(id int64, release, from int, strategy string, status string, steps []readapi.RolloutStep, n int) *readapi.Rollout {
	n = min(n, len(steps))
	ro := &readapi.Rollout{ID: id, App: "web", Release: release, From: from, Strategy: strategy, Status: "progressing",
		KeepOld: -1, Steps: steps[:n]}
	last := steps[n-1]
	ro.Step, ro.Weight, ro.Reason, ro.Inputs = last.Step, last.Weight, last.Reason, last.Inputs
	if n == len(steps) {
		ro.Status = status
	}
	if status == "rolled_back" && n == len(steps) {
		to := from
		ro.RolledBackTo = &to
	}
	return ro
}

var canarySteps = []readapi.RolloutStep{
	{Seq: 10, Event: "started", Weight: 10, Reason: "deploy"},
	{Seq: 12, Event: "stepped", Step: 1, Weight: 10, Reason: "canary at 10%",
		Inputs: inputs(events.RolloutInputs{Desired: 3, Healthy: 1, Available: 1, OldLive: 3})},
	{Seq: 15, Event: "stepped", Step: 2, Weight: 50, Reason: "error rate 0.50% <= 1%",
		Inputs: inputs(events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3, OldLive: 3, Requests: 600, Errors: 3, ErrorRate: 0.005, P99MS: 120})},
	{Seq: 19, Event: "succeeded", Step: 2, Weight: 100, Reason: "3/3 healthy at 100%",
		Inputs: inputs(events.RolloutInputs{Desired: 3, Healthy: 3, Available: 3})},
}

// deploy --wait sends the rollout flags in the deploy body and follows the
// new release's rollout (not the app's older one) until it succeeds.
func TestDeployWaitFollowsTheNewRelease(t *testing.T) {
	f, base := newFakeAPI(t)
	f.answer = map[string]any{"seq": 9, "events": []string{"dev.berth.app.deployed", "dev.berth.app.rollout_started"}, "release": 2}
	f.rollout = func(release, n int) *readapi.Rollout {
		switch release {
		case 0: // the app's latest: still the first deploy's until release 2 starts
			return rolloutAt(3, 1, 0, "rolling", "succeeded", canarySteps[:1], 1)
		case 2:
			if n < 2 {
				return nil // not started yet
			}
			return rolloutAt(10, 2, 1, "canary", "succeeded", canarySteps, n-1)
		}
		return nil
	}
	code, out, errOut := run(t, base, "deploy", "web", "--image", "web:2", "--wait", "--strategy", "canary",
		"--max-surge", "25%", "--max-unavailable", "1", "--min-healthy", "5s", "--progress-deadline", "3m",
		"--auto-rollback=false", "--max-failures", "2", "--canary-steps", "10,50,100", "--canary-interval", "30s",
		"--max-error-rate", "1%", "--max-p99", "500ms", "--min-requests", "50")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	posts := f.recorded()
	if len(posts) != 1 || posts[0].path != "/v1/apps/web/deploy" || posts[0].key == "" {
		t.Fatalf("writes = %+v", posts)
	}
	body := posts[0].body
	want := map[string]any{"strategy": "canary", "max_surge": "25%", "max_unavailable": "1", "min_healthy": "5s",
		"progress_deadline": "3m0s", "auto_rollback": false, "max_failures": 2.0, "canary_steps": []any{10.0, 50.0, 100.0},
		"canary_interval": "30s", "max_error_rate": 0.01, "max_p99": "500ms", "min_requests": 50.0, "image": "web:2"}
	for k, v := range want {
		if got, _ := json.Marshal(body[k]); string(got) != mustJSON(v) {
			t.Errorf("deploy body %s = %s, want %s", k, got, mustJSON(v))
		}
	}
	for _, line := range []string{
		"deployed web release 2",
		"web: waiting for the rollout of release 2 to start",
		"web release 2: rollout started (canary, from release 1): deploy",
		"web release 2: step 1, weight 10%, healthy 1/3, old 3: canary at 10%",
		"web release 2: step 2, weight 50%, healthy 3/3, old 3, error rate 0.50% (3/600), p99 120.0ms: error rate 0.50% <= 1%",
		"web release 2: succeeded, healthy 3/3: 3/3 healthy at 100%",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	if strings.Count(out, "step 1,") != 1 {
		t.Errorf("a step printed more than once:\n%s", out)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A rollout that ends in anything but success makes --wait fail with the
// reason; a deploy that leaves out the rollout flags sends none of them.
func TestDeployWaitFailsWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		status, want string
	}{
		{"rolled_back", "berth: release 2 of web rolled back to release 1: 3 failures of release 2\n"},
		{"failed", "berth: the rollout of release 2 of web failed: 3 failures of release 2\n"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f, base := newFakeAPI(t)
			f.answer = map[string]any{"seq": 9, "events": []string{"dev.berth.app.deployed"}, "release": 2}
			steps := []readapi.RolloutStep{{Seq: 10, Event: "started"},
				{Seq: 11, Event: tc.status, Reason: "3 failures of release 2", Inputs: inputs(events.RolloutInputs{Desired: 3, Failures: 3, OldLive: 3})}}
			f.rollout = func(release, n int) *readapi.Rollout {
				return rolloutAt(10, 2, 1, "rolling", tc.status, steps, n+1)
			}
			code, out, errOut := run(t, base, "deploy", "web", "--image", "web:2", "--wait")
			if code != 1 || errOut != tc.want {
				t.Errorf("exit %d, stderr %q, want 1 and %q; stdout:\n%s", code, errOut, tc.want, out)
			}
			for _, k := range []string{"strategy", "auto_rollback", "canary_steps", "max_error_rate"} {
				if _, ok := f.recorded()[0].body[k]; ok {
					t.Errorf("deploy body has %s without its flag", k)
				}
			}
		})
	}
}

// A newer release that starts before the deployed one's rollout does ends
// the wait: that rollout will never come.
func TestDeployWaitSupersededBeforeItsRolloutStarted(t *testing.T) {
	f, base := newFakeAPI(t)
	f.answer = map[string]any{"seq": 9, "events": []string{"dev.berth.app.deployed"}, "release": 2}
	f.rollout = func(release, n int) *readapi.Rollout {
		if release == 0 {
			return rolloutAt(20, 3, 1, "rolling", "", []readapi.RolloutStep{{Seq: 20, Event: "started"}}, 1)
		}
		return nil
	}
	code, _, errOut := run(t, base, "deploy", "web", "--image", "web:2", "--wait")
	if code != 1 || !strings.Contains(errOut, "release 2 of web was superseded by release 3") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// On a server that starts no rollouts, deploy --wait ends when the new
// release is healthy, instead of waiting for a rollout that never comes.
func TestDeployWaitWithoutRollouts(t *testing.T) {
	f, base := newFakeAPI(t)
	f.answer = map[string]any{"seq": 2, "events": []string{"dev.berth.app.deployed"}, "release": 1}
	f.rollout = func(int, int) *readapi.Rollout { return nil }
	f.instances = func(n int) []readapi.Instance {
		insts := []readapi.Instance{{ID: "web-a", Version: 1, State: "healthy"}, {ID: "web-b", Version: 1, State: "running"}}
		if n >= 2 {
			insts[1].State = "healthy"
		}
		return insts
	}
	code, out, errOut := run(t, base, "deploy", "web", "--image", "web:1", "--wait")
	if code != 0 || !strings.Contains(out, "web release 1: healthy 2/2 (no rollout)\n") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
}

// rollout status exits like kubectl's: 0 for a rollout that succeeded or
// still runs, 1 with the reason for one that rolled back, failed or was
// superseded; -o json prints the rollout and keeps the exit code.
func TestRolloutStatusExitCodes(t *testing.T) {
	for _, tc := range []struct {
		status, reason string
		code           int
	}{
		{"succeeded", "3/3 healthy", 0},
		{"progressing", "1 new instance available", 0},
		{"paused", "looking", 0},
		{"rolled_back", "error rate 40.00% > 1%", 1},
		{"failed", "progress deadline 2m0s passed", 1},
		{"superseded", "superseded by release 3", 1},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f, base := newFakeAPI(t)
			steps := []readapi.RolloutStep{{Seq: 10, Event: "started", Reason: "deploy"}, {Seq: 11, Event: tc.status, Reason: tc.reason}}
			f.rollout = func(int, int) *readapi.Rollout { return rolloutAt(10, 2, 1, "rolling", tc.status, steps, 2) }
			code, out, errOut := run(t, base, "rollout", "status", "web")
			if code != tc.code || !strings.Contains(out, tc.reason) || (tc.code != 0 && !strings.Contains(errOut, tc.reason)) {
				t.Errorf("exit %d (want %d), stderr %q, stdout:\n%s", code, tc.code, errOut, out)
			}
			code, out, _ = run(t, base, "rollout", "status", "web", "-o", "json")
			var ro readapi.Rollout
			if err := json.Unmarshal([]byte(out), &ro); err != nil || ro.Status != tc.status || code != tc.code {
				t.Errorf("-o json: exit %d, %v, output:\n%s", code, err, out)
			}
		})
	}
	f, base := newFakeAPI(t)
	f.rollout = func(int, int) *readapi.Rollout { return nil }
	for _, watch := range []string{"--watch=false", "--watch"} {
		if code, _, errOut := run(t, base, "rollout", "status", "web", watch); code != 1 || !strings.Contains(errOut, "no rollout") {
			t.Errorf("no rollout, %s: exit %d, stderr %q", watch, code, errOut)
		}
	}
}

func TestRolloutStatusWatch(t *testing.T) {
	f, base := newFakeAPI(t)
	f.rollout = func(release, n int) *readapi.Rollout {
		return rolloutAt(10, 2, 1, "canary", "succeeded", canarySteps, n+1)
	}
	code, out, errOut := run(t, base, "rollout", "status", "web", "--watch", "-o", "json")
	var ro readapi.Rollout
	if err := json.Unmarshal([]byte(out), &ro); err != nil || code != 0 || ro.Status != "succeeded" {
		t.Errorf("exit %d, %v, stdout:\n%s", code, err, out)
	}
	if !strings.Contains(errOut, "step 2, weight 50%") {
		t.Errorf("progress not on stderr with -o json:\n%s", errOut)
	}
}

func TestRolloutHistory(t *testing.T) {
	f, base := newFakeAPI(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f.releases = []readapi.Release{
		{App: "web", Version: 3, Image: "web:3", CreatedAt: at, RollingOut: true, Spec: json.RawMessage(`{}`)},
		{App: "web", Version: 2, Image: "web:2", CreatedAt: at, Outcome: "rolled_back", Reason: "error rate 40.00% > 1%", Failures: 2, Spec: json.RawMessage(`{}`)},
		{App: "web", Version: 1, Image: "web:1", CreatedAt: at, Outcome: "succeeded", IdempotencyKey: "k-1", Spec: json.RawMessage(`{}`)},
	}
	code, out, errOut := run(t, base, "rollout", "history", "web")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "RELEASE") {
		t.Fatalf("history:\n%s", out)
	}
	for i, want := range [][]string{{"3", "web:3", "rolling out"}, {"2", "web:2", "rolled back", "2", "error rate 40.00% > 1%"}, {"1", "web:1", "succeeded", "k-1"}} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("history line %d lacks %q: %s", i+1, w, lines[i+1])
			}
		}
	}
	code, out, _ = run(t, base, "rollout", "history", "web", "-o", "json")
	var rels []readapi.Release
	if err := json.Unmarshal([]byte(out), &rels); err != nil || code != 0 || len(rels) != 3 {
		t.Errorf("-o json: exit %d, %v:\n%s", code, err, out)
	}
}

// pause, resume, promote and abort post to their endpoint with an
// idempotency key and an optional reason.
func TestRolloutActions(t *testing.T) {
	f, base := newFakeAPI(t)
	for _, verb := range []string{"pause", "resume", "promote", "abort"} {
		if code, out, errOut := run(t, base, "rollout", verb, "web", "--reason", "by hand"); code != 0 || !strings.HasPrefix(out, "web: rollout ") {
			t.Errorf("%s: exit %d, %q %q", verb, code, out, errOut)
		}
	}
	if code, out, _ := run(t, base, "rollout", "pause", "web", "-o", "json"); code != 0 || !strings.Contains(out, `"seq": 9`) {
		t.Errorf("pause -o json: exit %d:\n%s", code, out)
	}
	posts := f.recorded()
	if len(posts) != 5 {
		t.Fatalf("writes = %+v", posts)
	}
	for i, verb := range []string{"pause", "resume", "promote", "abort"} {
		p := posts[i]
		if p.path != "/v1/apps/web/rollout/"+verb || p.key == "" || p.body["reason"] != "by hand" {
			t.Errorf("%s sent %+v", verb, p)
		}
	}
	if len(posts[4].body) != 0 {
		t.Errorf("pause without a reason sent %v, want {}", posts[4].body)
	}
}

// rollback --wait follows the rollout the rollback started: an older
// rollout of the same release (from when it was first deployed) is not it.
func TestRollbackWait(t *testing.T) {
	f, base := newFakeAPI(t)
	f.answer = map[string]any{"seq": 30, "events": []string{"dev.berth.app.rollout_started"}}
	old := rolloutAt(3, 1, 0, "rolling", "succeeded", []readapi.RolloutStep{{Seq: 3, Event: "started"}, {Seq: 5, Event: "succeeded"}}, 2)
	steps := []readapi.RolloutStep{{Seq: 30, Event: "started", Reason: "rollback to release 1"},
		{Seq: 31, Event: "succeeded", Reason: "release 1 serves", Inputs: inputs(events.RolloutInputs{Desired: 3, Healthy: 3})}}
	f.rollout = func(release, n int) *readapi.Rollout {
		switch {
		case release == 0 && n == 0: // before the rollback: release 2's rollout is the latest
			return rolloutAt(20, 2, 1, "rolling", "rolled_back", []readapi.RolloutStep{{Seq: 20, Event: "started"}, {Seq: 22, Event: "rolled_back"}}, 2)
		case release == 1 && n < 2:
			return old // the projection has not caught up yet
		}
		ro := rolloutAt(30, 1, 2, "rolling", "succeeded", steps, 2)
		ro.Rollback = true
		return ro
	}
	code, out, errOut := run(t, base, "rollback", "web", "--to", "1", "--wait")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	if p := f.recorded(); len(p) != 1 || p[0].path != "/v1/apps/web/rollback" || mustJSON(p[0].body) != `{"to":1}` || p[0].key == "" {
		t.Errorf("writes = %+v", p)
	}
	for _, line := range []string{"web: rolling back to release 1", "web release 1: rollback started (rolling, from release 2): rollback to release 1",
		"web release 1: succeeded, healthy 3/3: release 1 serves"} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(out, "web release 1: succeeded\n") {
		t.Errorf("followed the old rollout of release 1:\n%s", out)
	}

	f.posts = nil
	f.answer = map[string]any{"seq": 31, "events": []string{"dev.berth.app.rollout_rolled_back"}}
	if code, out, _ := run(t, base, "rollback", "web", "--wait"); code != 0 || mustJSON(f.recorded()[0].body) != `{}` {
		t.Errorf("rollback without --to: exit %d, body %v:\n%s", code, f.recorded()[0].body, out)
	}
}

func TestRolloutUsageErrors(t *testing.T) {
	_, base := newFakeAPI(t)
	for _, args := range [][]string{
		{"deploy", "web", "--image", "x", "--strategy", "blue-green"},
		{"deploy", "web", "--image", "x", "--max-error-rate", "lots"},
		{"deploy", "web", "--image", "x", "--max-error-rate", "150%"},
		{"deploy", "web", "--image", "x", "--canary-steps", "ten"},
		{"rollback", "web", "--to", "-1"},
		{"rollout", "status"},
	} {
		if code, _, errOut := run(t, base, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q, want a usage error", args, code, errOut)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"1%": 0.01, "0.5%": 0.005, "0.02": 0.02, "100%": 1, "0": 0} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1%", "0.01", "100%", "-1%", "1e-3", "NaN", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseRate(s)
		if err == nil && !(v >= 0 && v <= 1) {
			t.Errorf("parseRate(%q) = %v, outside [0, 1]", s, v)
		}
	})
}
