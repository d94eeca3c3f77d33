package webhooks_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
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
	// Successes are recorded in batches, failures at once.
	var failed, delivered int
	natstest.Eventually(t, 10*time.Second, "every delivery recorded", func() bool {
		if err := e.db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE outcome = 'failed'),
			count(DISTINCT event_id) FILTER (WHERE outcome = 'delivered') FROM hook_deliveries WHERE hook = 'ci'`).Scan(&failed, &delivered); err != nil {
			t.Fatal(err)
		}
		return delivered == 20
	})
	if failed == 0 {
		t.Errorf("no failed attempt recorded")
	}
}

// Two workers share the hook; one is stopped while a request is in
// flight (the receiver holds it), the survivor and a fresh worker carry
// on: every event arrives, per app in order.
func TestWorkerRestartMidDeliveryLosesNothing(t *testing.T) {
	e := newEnv(t)
	hold := make(chan struct{})
	var held atomic.Int32
	r := newReceiver(t, func(string) int {
		if held.Add(1) == 5 { // the fifth request waits until a worker is stopped
			<-hold
		}
		return http.StatusOK
	})
	e.addHook(hooks.Put{Name: "ci", URL: r.URL})
	stop1 := e.startWorker()
	stop2 := e.startWorker()
	want := e.appendApp(10, "web", "api")
	natstest.Eventually(t, 30*time.Second, "a request held", func() bool { return held.Load() >= 5 })
	stop1()
	stop2()
	close(hold)
	e.startWorker()
	e.startWorker()
	natstest.Eventually(t, 60*time.Second, "every event accepted", allAccepted(r, want))
	checkInOrder(t, r, want)
}

// A 400 is permanent: the event goes to the dead letters with the
// answer, later events go on, and a replay delivers it again.
func TestRejectedEventIsDeadLetteredAndReplayed(t *testing.T) {
	e := newEnv(t)
	var rejectID atomic.Value
	rejectID.Store("")
	r := newReceiver(t, func(id string) int {
		if id == rejectID.Load().(string) {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e.addHook(hooks.Put{Name: "ci", URL: r.URL})
	since := time.Now().Add(-time.Second)
	want := e.appendApp(1, "web")
	rejectID.Store(want["web"][0])
	want2 := e.appendApp(2, "web")
	stop := e.startWorker()
	natstest.Eventually(t, 30*time.Second, "later events accepted", allAccepted(r, want2))
	if n := r.count(want["web"][0]); n != 0 {
		t.Fatalf("rejected event accepted %d times", n)
	}
	var status int
	var response, reason string
	natstest.Eventually(t, 10*time.Second, "dead letter recorded", func() bool {
		err := e.db.QueryRow(context.Background(), `SELECT status_code, response, error FROM hook_deliveries
			WHERE hook = 'ci' AND outcome = 'dead' AND event_id = $1`, want["web"][0]).Scan(&status, &response, &reason)
		return err == nil
	})
	if status != http.StatusBadRequest || response != "answer Bad Request" || reason == "" {
		t.Errorf("dead letter: status %d, response %q, reason %q", status, response, reason)
	}

	rejectID.Store("")
	from, err := hooks.FirstSeqSince(context.Background(), e.store.JetStream(), since)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cmds.Execute(context.Background(), "ci", "", func(h *hooks.Hook) ([]events.Event, error) {
		return hooks.Replay(h, since, from)
	}); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, "dead letter replayed", func() bool { return r.count(want["web"][0]) == 1 })
	natstest.Eventually(t, 30*time.Second, "later events replayed too", func() bool { return r.count(want2["web"][1]) == 2 })

	// A restarted worker picks up where the replay's consumer is: only
	// the new event is sent, nothing of the history again.
	stop()
	before := len(r.requests())
	e.startWorker()
	more := e.appendApp(1, "web")
	natstest.Eventually(t, 30*time.Second, "new event after restart", func() bool { return r.count(more["web"][0]) == 1 })
	if n := len(r.requests()) - before; n != 1 {
		t.Errorf("after restart the receiver got %d requests, want only the new event", n)
	}
}

// Hooks get only the apps and kinds they asked for; host events only
// when no app is named.
func TestFiltersByAppAndType(t *testing.T) {
	e := newEnv(t)
	all := newReceiver(t, func(string) int { return http.StatusOK })
	some := newReceiver(t, func(string) int { return http.StatusOK })
	e.addHook(hooks.Put{Name: "all", URL: all.URL})
	e.addHook(hooks.Put{Name: "some", URL: some.URL, Apps: []string{"web"}, Types: []string{"sca*", "deployed"}})
	e.startWorker()
	appendOne(t, e, events.AppStopped{App: "web"})
	appendOne(t, e, events.AppScaled{App: "api", Replicas: 2})
	appendOne(t, e, events.HostLost{Host: "h1"})
	appendOne(t, e, events.AppScaled{App: "web", Replicas: 3})
	natstest.Eventually(t, 30*time.Second, "every event at the unfiltered hook", func() bool { return len(all.requests()) == 4 })
	natstest.Eventually(t, 30*time.Second, "the matching event at the filtered hook", func() bool { return len(some.requests()) >= 1 })
	got := some.requests()
	if len(got) != 1 || got[0].Type != "dev.berth.app.scaled" || got[0].Subject != "web" {
		t.Errorf("filtered hook got %+v, want only web's scaled", got)
	}
}

// A receiver that doesn't answer holds up its own hook only.
func TestSlowReceiverDoesNotDelayAnotherHook(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	defer close(release)
	slow := newReceiver(t, func(string) int { <-release; return http.StatusOK })
	fast := newReceiver(t, func(string) int { return http.StatusOK })
	e.cfg.Timeout = 20 * time.Second
	e.cfg.AckWait = 60 * time.Second
	e.addHook(hooks.Put{Name: "slow", URL: slow.URL})
	e.addHook(hooks.Put{Name: "fast", URL: fast.URL})
	e.startWorker()
	want := e.appendApp(5, "web")
	natstest.Eventually(t, 30*time.Second, "fast hook got everything while the slow one waits", allAccepted(fast, want))
	checkInOrder(t, fast, want)
}

func appendOne(t *testing.T, e *env, ev events.Event) {
	t.Helper()
	if _, err := e.store.Append(context.Background(), ev.Aggregate(), events.ExpectAny, []events.Event{ev}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A receiver failing for longer than the retry period: its events are
// dead-lettered one after the other (not held forever), and a replay
// delivers them once it is back.
func TestRetryPeriodBoundsRetries(t *testing.T) {
	e := newEnv(t)
	e.cfg.RetryPeriod = 300 * time.Millisecond
	var up atomic.Bool
	r := newReceiver(t, func(string) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusBadGateway
	})
	e.addHook(hooks.Put{Name: "ci", URL: r.URL})
	since := time.Now().Add(-time.Second)
	want := e.appendApp(3, "web")
	e.startWorker()
	var dead int
	natstest.Eventually(t, 60*time.Second, "every event dead-lettered", func() bool {
		_ = e.db.QueryRow(context.Background(), `SELECT count(DISTINCT event_id) FROM hook_deliveries
			WHERE hook = 'ci' AND outcome = 'dead' AND error LIKE 'receiver failing for %'`).Scan(&dead)
		return dead == 3
	})
	up.Store(true)
	from, err := hooks.FirstSeqSince(context.Background(), e.store.JetStream(), since)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cmds.Execute(context.Background(), "ci", "", func(h *hooks.Hook) ([]events.Event, error) {
		return hooks.Replay(h, since, from)
	}); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, "replayed after recovery", allAccepted(r, want))
	checkInOrder(t, r, want)
}

// The supervisor runs a worker again after a failure: the same Worker
// starts afresh (new router, view folded again) and delivers on.
func TestWorkerRunsAgain(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(string) int { return http.StatusOK })
	e.addHook(hooks.Put{Name: "ci", URL: r.URL})
	w, err := webhooks.New(e.cfg, e.store, e.cmds, e.secrets, e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	stop := run()
	first := e.appendApp(2, "web")
	natstest.Eventually(t, 30*time.Second, "first run delivers", allAccepted(r, first))
	stop()
	stop = run()
	defer stop()
	second := e.appendApp(2, "web")
	natstest.Eventually(t, 30*time.Second, "second run delivers", allAccepted(r, map[string][]string{"web": append(first["web"], second["web"]...)}))
	checkInOrder(t, r, map[string][]string{"web": append(first["web"], second["web"]...)})
}
