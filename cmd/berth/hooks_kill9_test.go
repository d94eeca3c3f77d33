package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/workers/webhooks"
)

// hookReceiver is a loopback HTTP receiver recording what it accepted.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hookReq
	hold chan struct{} // the holdAt-th request waits for it
	n    int
}

type hookReq struct {
	id, subject, sig string
	body             []byte
}

const holdAt = 6

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{hold: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.n++
		n := r.n
		r.mu.Unlock()
		if n == holdAt {
			<-r.hold // the server is killed meanwhile; this answer goes nowhere
			return
		}
		var ce struct{ ID, Subject string }
		_ = json.Unmarshal(body, &ce)
		r.mu.Lock()
		r.reqs = append(r.reqs, hookReq{id: ce.ID, subject: ce.Subject, sig: req.Header.Get(webhooks.SignatureHeader), body: body})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) accepted() (map[string][]string, []hookReq) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, seen := map[string][]string{}, map[string]bool{}
	for _, q := range r.reqs {
		if !seen[q.id] {
			seen[q.id] = true
			out[q.subject] = append(out[q.subject], q.id)
		}
	}
	return out, slices.Clone(r.reqs)
}

// kill -9 of the server while it delivers (a request in flight), then a
// restart: every event of every app reaches the receiver, per app in
// order, signed, as CloudEvents an SDK parses. Also drives the CLI and
// the endpoints: add, list, deliveries, replay, rm, and the bearer token.
func TestHooksKill9DuringDelivery(t *testing.T) {
	dir := t.TempDir()
	bin := e2etest.Build(t)
	api := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	const token = "hooks-test-token"
	s := &server{t: t, bin: bin, api: api, args: []string{"server",
		"--api-listen", api[len("http://"):], "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"--data-dir", filepath.Join(dir, "data"), "--database-url", pgtest.NewDB(t), "--api-token", token,
		"--gateway-listen", "", "--syslog-listen", "",
		"--hooks-allow-private", "--hooks-timeout", "2s", "--hooks-ack-wait", "5s"}}
	s.start()
	defer func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			_ = s.cmd.Wait()
		}
	}()
	berth := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "BERTH_API="+api, "BERTH_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	r := newHookReceiver(t)
	secretFile := filepath.Join(dir, "secret")
	const secret = "whsec_e2e_secret_0123456789abcdef"
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := berth("hooks", "add", "ci", "--url", r.URL+"/berth", "--secret-file", secretFile); !strings.Contains(out, "dev.berth.hook.created") {
		t.Fatalf("hooks add: %s", out)
	}
	if resp, err := http.Get(api + "/v1/hooks"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/hooks without the token: %v %v", resp, err)
	}

	apps := []string{"a1", "a2"}
	send := func(path string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", api+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	for _, app := range apps {
		send("/v1/apps/"+app+"/deploy", map[string]any{"image": "nginx", "replicas": 0})
	}
	for i := 1; i <= 5; i++ {
		for _, app := range apps {
			send("/v1/apps/"+app+"/domains", map[string]any{"domains": []string{fmt.Sprintf("d%d.%s.example.com", i, app)}})
		}
	}
	e2etest.Eventually(t, 30*time.Second, "a delivery in flight", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.n >= holdAt
	})
	s.kill9()
	close(r.hold)
	s.start()

	// Every app event in the log arrives, per app in the log's order.
	want := map[string][]string{}
	e2etest.Eventually(t, 90*time.Second, "every event delivered after the restart", func() bool {
		for _, app := range apps {
			want[app] = appEventIDs(t, api, token, app)
		}
		got, _ := r.accepted()
		for _, app := range apps {
			if len(want[app]) < 6 || len(got[app]) < len(want[app]) {
				return false
			}
		}
		return true
	})
	got, reqs := r.accepted()
	for _, app := range apps {
		if !slices.Equal(got[app][:len(want[app])], want[app]) {
			t.Errorf("app %s: got %v, want %v in order", app, got[app], want[app])
		}
	}
	for _, q := range reqs {
		if err := webhooks.Verify(secret, q.sig, q.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event %s: %v", q.id, err)
		}
		ev := cloudevents.New()
		if err := json.Unmarshal(q.body, &ev); err != nil || ev.Validate() != nil || ev.ID() != q.id {
			t.Errorf("event %s is not a CloudEvent the SDK accepts: %v %v", q.id, err, ev.Validate())
		}
	}

	req, _ := http.NewRequest("GET", api+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(m), `berth_hook_deliveries_total{hook="ci",outcome="delivered"}`) ||
			!strings.Contains(string(m), `berth_hook_delivery_seconds_bucket{hook="ci"`) {
			t.Errorf("/metrics lacks the hook's counters:\n%s", m)
		}
	}
	if out := berth("hooks", "list"); !strings.Contains(out, "ci") || !strings.Contains(out, r.URL) {
		t.Errorf("hooks list:\n%s", out)
	}
	var ds []map[string]any
	if err := json.Unmarshal([]byte(berth("hooks", "deliveries", "ci", "-o", "json", "--limit", "100")), &ds); err != nil || len(ds) == 0 {
		t.Errorf("hooks deliveries: %v %v", ds, err)
	}
	first := want["a1"][0]
	berth("hooks", "replay", "ci", "--since", "1h")
	e2etest.Eventually(t, 60*time.Second, "replay redelivers", func() bool {
		_, reqs := r.accepted()
		n := 0
		for _, q := range reqs {
			if q.id == first {
				n++
			}
		}
		return n >= 2
	})
	berth("hooks", "rm", "ci")
	e2etest.Eventually(t, 30*time.Second, "hook gone from the list", func() bool {
		return !strings.Contains(berth("hooks", "list"), r.URL)
	})
}

func appEventIDs(t *testing.T, api, token, app string) []string {
	req, _ := http.NewRequest("GET", api+"/v1/apps/"+app+"/events?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&evs) != nil {
		return nil
	}
	ids := make([]string, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}
