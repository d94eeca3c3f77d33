package dockerrt

import (
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/berth-dev/berth/agent/dockerrt/dockertest"
)

func TestWatchSurvivesEngineOutage(t *testing.T) {
	t.Parallel()
	proxy := dockertest.NewEngineProxy(t)
	watched, _ := newTestRuntime(t, client.WithHost(proxy.Host()))
	watched.backoffMax = time.Second
	direct, _ := newTestRuntime(t)
	spec := testSpec(t)
	evs := watch(t, watched, spec.Host)

	proxy.Down()
	// While the watcher cannot reach the engine, a container starts.
	id := run(t, direct, spec)
	waitServing(t, spec)
	proxy.Up(t)

	// Reconnected: a resync, and the start missed during the outage is replayed.
	nextEvent(t, evs, 20*time.Second, isKind(EventResync, ""))
	nextEvent(t, evs, 20*time.Second, isKind(EventStarted, id))

	// And the live stream works again.
	_, _, _ = httpGet(appURL(spec, "/exit?code=7"))
	ev := nextEvent(t, evs, 20*time.Second, isKind(EventExited, id))
	if ev.ExitCode != 7 {
		t.Fatalf("exited event %+v, want code 7", ev)
	}
}
