package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

type rolloutTimes struct {
	Status    string     `json:"status"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
	Steps     []struct {
		Event string    `json:"event"`
		Time  time.Time `json:"time"`
	} `json:"steps"`
}

func rolloutOf(b *testing.B, d *service.Dev, app string, release int) rolloutTimes {
	var ro rolloutTimes
	resp, err := http.Get(fmt.Sprintf("http://%s/v1/apps/%s/rollout?release=%d", d.APIAddr, app, release))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&ro); err != nil {
		b.Fatal(err)
	}
	return ro
}

// firstEventTime is the time of app's first event of ceType after seq 0
// whose data names release's instances (by version) — here simply the
// first of its type after since.
func firstEventTime(b *testing.B, d *service.Dev, app, ceType string, since time.Time) time.Time {
	resp, err := http.Get(fmt.Sprintf("http://%s/v1/apps/%s/events?type=%s&limit=1000", d.APIAddr, app, ceType))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []struct {
		Time time.Time `json:"time"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		b.Fatal(err)
	}
	for _, e := range evs {
		if e.Time.After(since) {
			return e.Time
		}
	}
	b.Fatalf("no %s after %s", ceType, since)
	return time.Time{}
}

// BenchmarkRollout, on one app of 3 instances on three dev hosts with the
// real engine and a load loop through the gateway:
//   - rolling (25% surge, 5s min healthy) vs surge-all (100% surge, no min
//     healthy: what every deploy did before releases) from `deploy` to the
//     rollout's success, when every instance serves the new release;
//   - a release whose health check never passes: from its first failed
//     health check to the rollback (traffic never left the old release);
//   - a canary answering 500 to half its requests (5s interval): from the
//     rollout's start to its rollback.
func BenchmarkRollout(b *testing.B) {
	image := testimage.EnsureT(b)
	d := startDev(b, 3, false)
	const app = "bench"
	deploy := func(version string, extra ...string) int {
		args := append([]string{"deploy", app, "--image", image, "--replicas", "3", "--memory", "32m",
			"--env", "TESTAPP_VERSION=" + version, "-o", "json"}, extra...)
		out, code := berthCode(b, d, args...)
		if code != 0 {
			b.Fatalf("deploy: %s", out)
		}
		var res struct {
			Release int `json:"release"`
		}
		_ = json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res)
		return res.Release
	}
	end := func(release int) rolloutTimes {
		var ro rolloutTimes
		eventually(b, 5*time.Minute, "rollout ends", func() bool {
			ro = rolloutOf(b, d, app, release)
			return ro.EndedAt != nil
		})
		return ro
	}
	v := deploy("v0")
	end(v)
	var rolling, surgeAll, badHealth, badCanary []time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ro := end(deploy(fmt.Sprintf("r%d", i)))
		if ro.Status != "succeeded" {
			b.Fatalf("rolling: %s", ro.Status)
		}
		rolling = append(rolling, ro.EndedAt.Sub(start))

		start = time.Now()
		ro = end(deploy(fmt.Sprintf("s%d", i), "--max-surge", "100%", "--min-healthy", "0s"))
		if ro.Status != "succeeded" {
			b.Fatalf("surge-all: %s", ro.Status)
		}
		surgeAll = append(surgeAll, ro.EndedAt.Sub(start))

		start = time.Now()
		ro = end(deploy(fmt.Sprintf("h%d", i), "--health-path", "/nonexistent"))
		if ro.Status != "rolled_back" {
			b.Fatalf("bad health: %s", ro.Status)
		}
		first := firstEventTime(b, d, app, "dev.berth.app.instance_health_failed", start)
		badHealth = append(badHealth, ro.EndedAt.Sub(first))

		load := startLoad(b, d, app)
		ro = end(deploy(fmt.Sprintf("c%d", i), "--strategy", "canary", "--canary-steps", "10,50,100",
			"--canary-interval", "5s", "--min-healthy", "1s", "--env", "TESTAPP_FAIL_RATE=0.5"))
		load.finish()
		if ro.Status != "rolled_back" {
			b.Fatalf("bad canary: %s", ro.Status)
		}
		badCanary = append(badCanary, ro.EndedAt.Sub(ro.StartedAt))
	}
	b.ReportMetric(float64(percentile(rolling, 0.5).Milliseconds()), "rolling-ms")
	b.ReportMetric(float64(percentile(surgeAll, 0.5).Milliseconds()), "surge-all-ms")
	b.ReportMetric(float64(percentile(badHealth, 0.5).Milliseconds()), "bad-health-to-rollback-ms")
	b.ReportMetric(float64(percentile(badCanary, 0.5).Milliseconds()), "bad-canary-start-to-rollback-ms")
}
