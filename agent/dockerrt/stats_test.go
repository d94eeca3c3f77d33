package dockerrt

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestStatsCPURisesUnderLoad(t *testing.T) {
	t.Parallel()
	rt, _ := newTestRuntime(t)
	spec := testSpec(t)
	id := run(t, rt, spec)
	waitServing(t, spec)
	ctx := context.Background()

	idle, mem, err := rt.Stats(ctx, id)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if mem == 0 {
		t.Fatal("idle container reports no memory in use")
	}

	burnCtx, stopBurn := context.WithCancel(ctx)
	defer stopBurn()
	go func() {
		for burnCtx.Err() == nil {
			_, _, _ = httpGet(appURL(spec, "/?burn=300"))
		}
	}()
	var busy float64
	waitFor(t, 30*time.Second, "CPU%% to rise", func() error {
		busy, _, err = rt.Stats(ctx, id)
		if err != nil {
			return err
		}
		// One goroutine spinning is about 100% of one CPU; ask for a quarter of that.
		if busy < 25 || busy <= idle {
			return fmt.Errorf("CPU %.1f%% (idle %.1f%%)", busy, idle)
		}
		return nil
	})
	t.Logf("CPU idle %.1f%%, busy %.1f%%", idle, busy)
}
