package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
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

	// Replacements back off: over 10 seconds an app that fails at once is
	// placed a handful of times, not hundreds.
	time.Sleep(10 * time.Second)
	for _, app := range []string{"ghost", "quitter"} {
		out := berth(t, d, "events", "--app", app)
		if n := strings.Count(out, "instance_scheduled"); n < 2 || n > 12 {
			t.Errorf("%s was placed %d times in ~15s; want a few replacements with backoff", app, n)
		}
	}
	// The platform itself is fine: a good app still deploys.
	berth(t, d, "deploy", "fine", "--image", image, "--wait", "--timeout", "90s")
}
