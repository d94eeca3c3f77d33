package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// loadLoop sends GETs through the gateway from 3 clients until stopped,
// counting every status; its result says which releases answered.
type loadLoop struct {
	stop     context.CancelFunc
	wg       sync.WaitGroup
	sent     atomic.Int64
	mu       sync.Mutex
	statuses map[int]int
	versions map[string]int
	failures []string
}

func startLoad(t testing.TB, d *service.Dev, app string) *loadLoop {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // bounded whatever happens
	l := &loadLoop{stop: cancel, statuses: map[int]int{}, versions: map[string]int{}}
	for range 3 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				l.one(d, app)
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	t.Cleanup(l.finish)
	return l
}

func (l *loadLoop) one(d *service.Dev, app string) {
	resp, err := viaGateway(d, app, "/")
	l.sent.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.statuses[0]++
		l.failures = append(l.failures, err.Error())
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	l.statuses[resp.StatusCode]++
	if resp.StatusCode != http.StatusOK {
		l.failures = append(l.failures, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body))))
		return
	}
	var id struct{ Version string }
	_ = json.Unmarshal(body, &id)
	l.versions[id.Version]++
}

func (l *loadLoop) finish() {
	l.stop()
	l.wg.Wait()
}

// failed stops the loop and returns how many GETs did not answer 200.
func (l *loadLoop) failed() (failed, sent int64, detail string) {
	l.finish()
	l.mu.Lock()
	defer l.mu.Unlock()
	for code, n := range l.statuses {
		if code != http.StatusOK {
			failed += int64(n)
		}
	}
	if len(l.failures) > 5 {
		detail = strings.Join(l.failures[:5], "; ") + "; …"
	} else {
		detail = strings.Join(l.failures, "; ")
	}
	return failed, l.sent.Load(), detail
}

// sample forgets which releases answered so far, waits until n more
// answers came (polling, bounded at 10 s) and returns which releases gave them.
func (l *loadLoop) sample(t testing.TB, n int) map[string]int {
	t.Helper()
	l.resetVersions()
	var got map[string]int
	eventually(t, 10*time.Second, fmt.Sprintf("%d answers through the gateway", n), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		total := 0
		for _, c := range l.versions {
			total += c
		}
		if total < n {
			return false
		}
		got = l.versions
		l.versions = map[string]int{}
		return true
	})
	return got
}

// resetVersions forgets which releases answered so far.
func (l *loadLoop) resetVersions() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.versions
	l.versions = map[string]int{}
	return v
}

// rolloutEnd waits for release's rollout to end and returns its terminal
// status and reason, as the read model has them.
func rolloutEnd(t testing.TB, d *service.Dev, app string, release int, within time.Duration) (status, reason string) {
	t.Helper()
	eventually(t, within, fmt.Sprintf("release %d's rollout of %s ends", release, app), func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s/v1/apps/%s/rollout?release=%d", d.APIAddr, app, release))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var ro struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&ro) != nil {
			return false
		}
		status, reason = ro.Status, ro.Reason
		return status != "progressing" && status != "paused"
	})
	return status, reason
}

// deployRelease deploys image with env TESTAPP_VERSION=version and extra
// flags, and returns the release number the API answered.
func deployRelease(t *testing.T, d *service.Dev, app, image, version string, replicas int, extra ...string) int {
	t.Helper()
	args := append([]string{"deploy", app, "--image", image, "--replicas", fmt.Sprint(replicas), "--memory", "32m",
		"--env", "TESTAPP_VERSION=" + version, "--health-interval", "500ms", "-o", "json"}, extra...)
	out := berth(t, d, args...)
	var res struct {
		Release int `json:"release"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil || res.Release == 0 {
		t.Fatalf("deploy answered %q (%v), want a release number", out, err)
	}
	return res.Release
}

// Releases and rollouts on three dev hosts with the real engine, while a
// load loop counts every answer of the gateway.
func TestRollouts(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 3, false)
	const app = "rel"

	v1 := deployRelease(t, d, app, image, "v1", 3)
	if kind, reason := rolloutEnd(t, d, app, v1, 2*time.Minute); kind != "succeeded" {
		t.Fatalf("first release: %s (%s)", kind, reason)
	}
	load := startLoad(t, d, app)
	eventually(t, 20*time.Second, "v1 answers through the gateway", func() bool {
		return load.sent.Load() > 20
	})

	t.Run("a release whose health check never passes rolls back by itself", func(t *testing.T) {
		v := deployRelease(t, d, app, image, "v2-bad-health", 3, "--health-path", "/nonexistent")
		kind, reason := rolloutEnd(t, d, app, v, 2*time.Minute)
		if kind != "rolled_back" {
			t.Fatalf("bad health path: rollout ended %s (%s), want rolled back", kind, reason)
		}
		t.Logf("rolled back: %s", reason)
	})
	t.Run("a release that crashes at start rolls back by itself", func(t *testing.T) {
		out, code := berthCode(t, d, "deploy", app, "--image", image, "--replicas", "3", "--memory", "32m",
			"--env", "TESTAPP_VERSION=v3-crash", "--env", "TESTAPP_EXIT_AT_START=3", "--wait", "--timeout", "3m")
		if code == 0 || !strings.Contains(out, "rolled back") {
			t.Errorf("deploy --wait of a crashing release: exit %d, want non-zero with the reason; output:\n%s", code, out)
		}
		kind, reason := rolloutEnd(t, d, app, 3, 2*time.Minute)
		if kind != "rolled_back" {
			t.Fatalf("crash at start: rollout ended %s (%s), want rolled back", kind, reason)
		}
	})
	// Only v1 ever answered, and every GET did.
	eventually(t, 30*time.Second, "only v1 instances left", func() bool {
		insts := instances(t, d, app)
		return len(insts) == 3 && len(healthy(insts)) == 3
	})
	if v := load.resetVersions(); len(v) != 1 || v["v1"] == 0 {
		t.Errorf("releases that answered during the bad rollouts: %v, want v1 only", v)
	}

	t.Run("a good rolling update replaces every instance", func(t *testing.T) {
		out, code := berthCode(t, d, "deploy", app, "--image", image, "--replicas", "3", "--memory", "32m",
			"--env", "TESTAPP_VERSION=v4", "--health-interval", "500ms", "--min-healthy", "1s", "--wait", "--timeout", "3m")
		if code != 0 {
			t.Fatalf("deploy --wait of a good release: exit %d:\n%s", code, out)
		}
		// --wait returned: release 4 serves with every replica.
		h := healthy(instances(t, d, app))
		n4 := 0
		for _, i := range h {
			if i.Version == 4 {
				n4++
			}
		}
		if n4 != 3 {
			t.Errorf("after deploy --wait: healthy %+v, want 3 of release 4", h)
		}
		t.Logf("deploy --wait:\n%s", out)
		eventually(t, 30*time.Second, "only v4 answers", func() bool {
			v := load.sample(t, 30)
			return len(v) == 1 && v["v4"] > 0
		})
	})
	t.Run("rollback puts the last good release back", func(t *testing.T) {
		out := berth(t, d, "rollback", app, "-o", "json")
		var res struct {
			Release int `json:"release"`
		}
		_ = json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res)
		if res.Release != v1 {
			t.Fatalf("rollback answered %s, want release %d", out, v1)
		}
		eventually(t, 2*time.Minute, "only v1 answers again", func() bool {
			v := load.sample(t, 30)
			return len(v) == 1 && v["v1"] > 0
		})
	})
	t.Run("a deploy during a rollout supersedes it", func(t *testing.T) {
		slow := deployRelease(t, d, app, image, "v6-slow", 3, "--min-healthy", "1h", "--progress-deadline", "10m")
		next := deployRelease(t, d, app, image, "v7", 3, "--min-healthy", "1s")
		if kind, _ := rolloutEnd(t, d, app, slow, time.Minute); kind != "superseded" {
			t.Errorf("release %d's rollout ended %s, want superseded", slow, kind)
		}
		if kind, reason := rolloutEnd(t, d, app, next, 2*time.Minute); kind != "succeeded" {
			t.Fatalf("superseding release: %s (%s)", kind, reason)
		}
		eventually(t, 30*time.Second, "only v7 instances", func() bool {
			insts := instances(t, d, app)
			return len(insts) == 3 && len(healthy(insts)) == 3
		})
	})
	if failed, sent, detail := load.failed(); failed != 0 {
		t.Fatalf("%d of %d GETs through the gateway failed during the rollouts: %s", failed, sent, detail)
	} else {
		t.Logf("%d GETs through the gateway during every rollout, none failed", sent)
	}
}
