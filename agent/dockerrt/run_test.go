package dockerrt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRunServesWithInstanceEnv(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	spec.Env = map[string]string{"PORT": "9999", "EXTRA": "yes"} // Berth's PORT wins
	id := run(t, rt, spec)

	ident := waitServing(t, spec)
	if ident["app"] != spec.App || ident["instance"] != spec.Instance || ident["host"] != testHostIP {
		t.Fatalf("GET / = %v, want app %q instance %q host %q", ident, spec.App, spec.Instance, testHostIP)
	}

	ctx := context.Background()
	list, err := rt.List(ctx, spec.Host)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("List(%q) = %+v, want one container", spec.Host, list)
	}
	c := list[0]
	if c.ID != id || c.Name != spec.Name() || c.App != spec.App || c.Instance != spec.Instance ||
		!c.Running || c.HostIP != testHostIP || c.HostPort != spec.HostPort || c.ContainerPort != 8080 {
		t.Fatalf("listed %+v", c)
	}

	// Running the same instance again (say, after an agent restart) keeps the container.
	again, err := rt.Run(ctx, spec)
	if err != nil || again != id {
		t.Fatalf("second Run = %q, %v; want existing %q", again, err, id)
	}
}

func TestRunReplacesExitedContainerOfSameName(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	spec.Env = map[string]string{"TESTAPP_EXIT_AT_START": "4"}
	first := run(t, rt, spec)
	ctx := context.Background()
	waitFor(t, 20*time.Second, "first container to exit", func() error {
		st, err := rt.Inspect(ctx, first)
		if err != nil {
			return err
		}
		if st.Running || st.ExitCode != 4 {
			return errors.New("still running or wrong code: " + st.Status)
		}
		return nil
	})

	spec.Env = nil
	second := run(t, rt, spec)
	if second == first {
		t.Fatal("exited container was reused")
	}
	waitServing(t, spec)
	if _, err := rt.Inspect(ctx, first); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stale container still there: %v", err)
	}
}

func TestRunMissingImageFailsClearly(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	// A registry on a closed loopback port: the pull fails without leaving the host.
	spec.Image = "127.0.0.1:1/berth/missing:v1"
	t.Cleanup(func() { removeByName(t, spec.Name()) })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := rt.Run(ctx, spec)
	if !errors.Is(err, ErrImageUnavailable) || !strings.Contains(err.Error(), spec.Image) {
		t.Fatalf("Run with missing image: %v; want ErrImageUnavailable naming %q", err, spec.Image)
	}
	t.Logf("Run error: %v", err)
	if list, _ := rt.List(ctx, spec.Host); len(list) != 0 {
		t.Fatalf("containers left behind: %+v", list)
	}
}

func TestStopIsGracefulAndRemoves(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	evs := watch(t, rt, spec.Host)
	id := run(t, rt, spec)
	waitServing(t, spec)

	ctx := context.Background()
	if err := rt.Stop(ctx, id, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The testapp exits 0 on SIGTERM; a kill after the timeout would show 137.
	ev := nextEvent(t, evs, 20*time.Second, isKind(EventExited, id))
	if ev.ExitCode != 0 || ev.OOMKilled {
		t.Fatalf("exit after Stop = %+v, want code 0", ev)
	}
	if list, err := rt.List(ctx, spec.Host); err != nil || len(list) != 0 {
		t.Fatalf("after Stop List = %+v, %v; want none", list, err)
	}
	if err := rt.Stop(ctx, id, time.Second); err != nil {
		t.Fatalf("Stop of a removed container: %v", err)
	}
}
