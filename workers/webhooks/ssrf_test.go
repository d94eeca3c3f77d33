package webhooks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events/natstest"
)

// Without --hooks-allow-private, a receiver whose name resolves to a
// loopback address is refused where the connection is made (after DNS),
// not only at validation; the event is dead-lettered, not retried.
func TestPrivateReceiverRefusedAtConnect(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(string) int { return http.StatusOK })
	e.addHook(hooks.Put{Name: "ci", URL: r.URL}) // stored as if allowed, then the server forbids it
	e.cfg.AllowPrivate = false
	e.startWorker()
	want := e.appendApp(1, "web")
	var reason string
	natstest.Eventually(t, 30*time.Second, "dead letter", func() bool {
		return e.db.QueryRow(context.Background(), `SELECT error FROM hook_deliveries WHERE hook = 'ci' AND outcome = 'dead' AND event_id = $1`,
			want["web"][0]).Scan(&reason) == nil
	})
	if len(r.requests()) != 0 {
		t.Errorf("receiver on loopback got %d requests", len(r.requests()))
	}
	if !contains(reason, "not allowed") {
		t.Errorf("reason %q does not say the address is not allowed", reason)
	}
}
