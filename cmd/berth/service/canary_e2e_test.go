package service_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
)

// Canaries on three dev hosts with the real engine: the gateway measures
// each release, a canary answering 500 to half its requests is caught at
// its first step and rolled back, a healthy one is promoted step by step
// while both releases serve.
func TestCanaries(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 3, false)
	const app = "can"

	v1 := deployRelease(t, d, app, image, "v1", 3, "--min-healthy", "1s")
	if kind, reason := rolloutEnd(t, d, app, v1, 2*time.Minute); kind != "succeeded" {
		t.Fatalf("first release: %s (%s)", kind, reason)
	}
	load := startLoad(t, d, app)

	t.Run("a canary answering 500 to half its requests is rolled back at its first step", func(t *testing.T) {
		v := deployRelease(t, d, app, image, "v2-bad", 3, "--strategy", "canary", "--canary-steps", "20,50,100",
			"--canary-interval", "4s", "--min-healthy", "1s", "--env", "TESTAPP_FAIL_RATE=0.5")
		kind, reason := rolloutEnd(t, d, app, v, 2*time.Minute)
		if kind != "rolled_back" || !strings.Contains(reason, "canary at 20%") || !strings.Contains(reason, "error rate") {
			t.Fatalf("bad canary: rollout ended %s (%s), want rolled back at its first step on the error rate", kind, reason)
		}
		t.Logf("bad canary: %s", reason)
	})
	// The bad canary's 500s reached some users: exactly what a canary is
	// for, and bounded by its weight and one interval. Count them apart.
	failedDuringBad, sentDuringBad, _ := load.failed()
	t.Logf("during the bad canary: %d of %d GETs answered 500 (20%% weight × 50%% failures, one interval)", failedDuringBad, sentDuringBad)
	if sentDuringBad > 0 && float64(failedDuringBad)/float64(sentDuringBad) > 0.2 {
		t.Errorf("%d of %d GETs failed during the bad canary: more than its weight allows", failedDuringBad, sentDuringBad)
	}

	load = startLoad(t, d, app)
	t.Run("a healthy canary is promoted step by step while both releases serve", func(t *testing.T) {
		v := deployRelease(t, d, app, image, "v3", 3, "--strategy", "canary", "--canary-steps", "30,100",
			"--canary-interval", "4s", "--min-healthy", "1s")
		both := false
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) && !both {
			seen := load.sample(t, 60)
			both = seen["v1"] > 0 && seen["v3"] > 0
		}
		if !both {
			t.Errorf("never saw v1 and v3 answer in the same second during the canary")
		}
		kind, reason := rolloutEnd(t, d, app, v, 2*time.Minute)
		if kind != "succeeded" {
			t.Fatalf("healthy canary: rollout ended %s (%s)", kind, reason)
		}
		eventually(t, 30*time.Second, "only v3 answers", func() bool {
			v := load.sample(t, 30)
			return len(v) == 1 && v["v3"] > 0
		})
	})
	t.Run("X-Berth-Release pins a request to a release", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+d.GatewayAddr.String()+"/", nil)
		req.Host = app + ".localhost"
		req.Header.Set("X-Berth-Release", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// Release 1's instances are gone after the promotion: the pin
		// cannot be served and says so, rather than answering from v3.
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("pinned to a release without instances: %d, want 503", resp.StatusCode)
		}
	})
	if failed, sent, detail := load.failed(); failed != 0 {
		t.Fatalf("%d of %d GETs failed during the healthy canary: %s", failed, sent, detail)
	} else {
		t.Logf("%d GETs during the healthy canary, none failed", sent)
	}
}
