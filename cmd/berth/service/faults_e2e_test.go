package service_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// Bad input and faults end in a clear state, never a tight crash loop: an
// image that can't be pulled, a container that exits at once, a health
// path that 404s.
func TestFaultsEndInAClearState(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 1, false)

	berth(t, d, "deploy", "ghost", "--image", "127.0.0.1:1/nope/missing:1")
	berth(t, d, "deploy", "quitter", "--image", image, "--env", "TESTAPP_EXIT_AT_START=7")
	berth(t, d, "deploy", "sick", "--image", image, "--health-path", "/does-not-exist", "--health-interval", "200ms")

	eventually(t, 60*time.Second, "each failure visible in berth ps", func() bool {
		ghost, _ := berthCode(t, d, "ps", "ghost", "--all")
		quitter, _ := berthCode(t, d, "ps", "quitter", "--all")
		return strings.Contains(ghost, "nope/missing") && strings.Contains(quitter, "7")
	})
	eventually(t, 60*time.Second, "the unhealthy instance reported", func() bool {
		out := berth(t, d, "events", "--app", "sick")
		return strings.Contains(out, "instance_health_failed") && strings.Contains(out, "404")
	})

	// Replacements back off: an app that fails at once waits longer before
	// each new placement instead of churning containers.
	for _, app := range []string{"ghost", "quitter"} {
		var times []time.Time
		eventually(t, 60*time.Second, app+" placed four times", func() bool {
			times = scheduledTimes(t, d, app)
			return len(times) >= 4
		})
		if gap := times[3].Sub(times[2]); gap < time.Second {
			t.Errorf("%s: fourth placement %s after the third; want a backoff of at least 1s", app, gap)
		}
	}
	// The platform itself is fine: a good app still deploys.
	berth(t, d, "deploy", "fine", "--image", image, "--wait", "--timeout", "90s")
}

// scheduledTimes are the times of an app's instance_scheduled events.
func scheduledTimes(t *testing.T, d *service.Dev, app string) []time.Time {
	var out []time.Time
	for _, line := range strings.Split(berth(t, d, "events", "--app", app, "-o", "json"), "\n") {
		var ev struct {
			Type string    `json:"type"`
			Time time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "dev.berth.app.instance_scheduled" {
			out = append(out, ev.Time)
		}
	}
	return out
}
