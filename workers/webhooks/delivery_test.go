package webhooks_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/webhooks"
)

// The receiver answers 503 while events of two apps are appended and
// until the hook is marked failing; then it recovers: every event
// arrives, per app in order, each signed and carrying its id.
func TestReceiverOutageLosesNothingAndKeepsOrder(t *testing.T) {
	e := newEnv(t)
	var up atomic.Bool
	r := newReceiver(t, func(string) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	e.addHook(hooks.Put{Name: "ci", URL: r.URL + "/hook"})
	e.startWorker()
	want := e.appendApp(10, "web", "api")

	natstest.Eventually(t, 30*time.Second, "hook marked failing", func() bool {
		k := e.hookEvents("ci")
		return k[len(k)-1] == "failing"
	})
	up.Store(true)
	natstest.Eventually(t, 60*time.Second, "every event accepted", allAccepted(r, want))
	checkInOrder(t, r, want)
	natstest.Eventually(t, 10*time.Second, "hook recovered", func() bool {
		k := e.hookEvents("ci")
		return k[len(k)-1] == "recovered"
	})
	for _, g := range r.requests() {
		if g.CEID != g.ID {
			t.Errorf("Ce-Id %q, body id %q", g.CEID, g.ID)
		}
		if err := webhooks.Verify(testSecret, g.Signature, g.Body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("event %s: %v", g.ID, err)
		}
	}
	var failed, delivered int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE outcome = 'failed'),
		count(*) FILTER (WHERE outcome = 'delivered') FROM hook_deliveries WHERE hook = 'ci'`).Scan(&failed, &delivered); err != nil {
		t.Fatal(err)
	}
	if failed == 0 || delivered < 20 {
		t.Errorf("deliveries: %d failed, %d delivered; want some failed and every event delivered", failed, delivered)
	}
}
