package dockerrt

import (
	"context"
	"testing"
	"time"
)

func TestWatchReportsExitCode(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	evs := watch(t, rt, spec.Host)
	id := run(t, rt, spec)

	started := nextEvent(t, evs, 20*time.Second, isKind(EventStarted, id))
	if started.App != spec.App || started.Instance != spec.Instance || started.Host != spec.Host {
		t.Fatalf("started event %+v", started)
	}
	waitServing(t, spec)
	_, _, _ = httpGet(appURL(spec, "/exit?code=3"))

	ev := nextEvent(t, evs, 20*time.Second, isKind(EventExited, id))
	if ev.ExitCode != 3 || ev.OOMKilled || ev.Instance != spec.Instance {
		t.Fatalf("exited event %+v, want code 3", ev)
	}
	st, err := rt.Inspect(context.Background(), id)
	if err != nil || st.Running || st.ExitCode != 3 || st.OOMKilled {
		t.Fatalf("Inspect = %+v, %v", st, err)
	}
}

func TestWatchReportsOOMKill(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	spec.MemoryBytes = 32 << 20
	evs := watch(t, rt, spec.Host)
	id := run(t, rt, spec)
	waitServing(t, spec)

	_, _, _ = httpGet(appURL(spec, "/alloc?mb=64")) // the connection dies with the app

	ev := nextEvent(t, evs, 20*time.Second, isKind(EventExited, id))
	if !ev.OOMKilled {
		t.Fatalf("exited event %+v, want OOMKilled", ev)
	}
	st, err := rt.Inspect(context.Background(), id)
	if err != nil || !st.OOMKilled {
		t.Fatalf("Inspect = %+v, %v; want OOMKilled", st, err)
	}
}
