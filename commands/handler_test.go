package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

func newStore(t *testing.T) *events.Store { return natstest.Store(t, "test") }

func deploy(t *testing.T, h *commands.Handler, app string, replicas int) {
	t.Helper()
	if _, err := h.Execute(context.Background(), app, "", commands.Deploy{App: app, Image: "nginx", Replicas: &replicas}.Decide); err != nil {
		t.Fatal(err)
	}
}

// Two servers (two handlers with their own caches) decide from the same
// state at the same moment: exactly one append wins, the other is retried
// on fresh state and decides again, seeing the winner's event.
func TestConcurrentWritersOneWinsOtherRetries(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	a, b := commands.NewHandler(st, "a"), commands.NewHandler(st, "b")
	deploy(t, a, "web", 1)
	if _, err := b.State(ctx, "web"); err != nil { // warm b's cache
		t.Fatal(err)
	}

	var barrier sync.WaitGroup
	barrier.Add(2)
	var mu sync.Mutex
	seen := map[string][]int{} // writer -> replicas it decided from, per attempt
	decider := func(name string, to int) commands.Decider {
		first := true
		return func(app *appstate.App) ([]events.Event, error) {
			mu.Lock()
			seen[name] = append(seen[name], app.Spec.Replicas)
			mu.Unlock()
			if first {
				first = false
				barrier.Done()
				barrier.Wait() // both have decided from the same state
			}
			return commands.Scale{App: "web", Replicas: app.Spec.Replicas + to}.Decide(app)
		}
	}
	var wg sync.WaitGroup
	for name, h := range map[string]*commands.Handler{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Execute(ctx, "web", "", decider(name, map[string]int{"a": 1, "b": 10}[name])); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(seen["a"])+len(seen["b"]) != 3 {
		t.Fatalf("decisions: %v; want one writer deciding once and the other twice", seen)
	}
	recs, _, err := st.Load(ctx, events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var scaled []events.AppScaled
	for _, r := range recs {
		if s, ok := r.Event.(events.AppScaled); ok {
			scaled = append(scaled, s)
		}
	}
	// Both increments are applied, the second on top of the first.
	if len(scaled) != 2 || scaled[1].Previous != scaled[0].Replicas || scaled[1].Replicas != 12 {
		t.Fatalf("scale events %+v; want two, chained, ending at 12", scaled)
	}
}

func TestRetriedCommandAppendsOnce(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	h := commands.NewHandler(st, "api")
	deploy(t, h, "web", 1)
	scale := commands.Scale{App: "web", Replicas: 4}
	first, err := h.Execute(ctx, "web", "key-1", scale.Decide)
	if err != nil || first.Duplicate || len(first.Events) != 1 {
		t.Fatalf("first = %+v, %v", first, err)
	}
	// The same request again, to this server and to a freshly started one.
	for _, hh := range []*commands.Handler{h, commands.NewHandler(st, "api2")} {
		again, err := hh.Execute(ctx, "web", "key-1", scale.Decide)
		if err != nil || !again.Duplicate || again.Seq != first.Seq {
			t.Fatalf("retry = %+v, %v; want duplicate of seq %d", again, err, first.Seq)
		}
	}
	// A retried stop after someone scaled in between is still a duplicate,
	// not a second stop.
	stop := commands.Stop{App: "web"}
	if _, err := h.Execute(ctx, "web", "key-2", stop.Decide); err != nil {
		t.Fatal(err)
	}
	if res, err := commands.NewHandler(st, "x").Execute(ctx, "web", "key-2", stop.Decide); err != nil || !res.Duplicate {
		t.Fatalf("retried stop = %+v, %v", res, err)
	}
	recs, _, _ := st.Load(ctx, events.App("web"), 0)
	// deploy (deployed, rollout_started), scale, stop (rollout_superseded, stopped)
	if len(recs) != 5 {
		t.Fatalf("stream holds %d events, want deploy+scale+stop", len(recs))
	}
}

func TestRejectedCommandsWriteNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	h := commands.NewHandler(st, "api")
	bad := []struct {
		app    string
		decide commands.Decider
		want   error
	}{
		{"web", commands.Deploy{App: "web", Image: "x", Memory: "12qb"}.Decide, commands.ErrInvalid},
		{"web", commands.Scale{App: "web", Replicas: 2}.Decide, commands.ErrNotFound},
		{"web", commands.Stop{App: "web"}.Decide, commands.ErrNotFound},
		{"web", commands.HealthFail{App: "web", Instance: "web-abcdef"}.Decide, commands.ErrNotFound},
		{"Bad!", commands.Stop{App: "Bad!"}.Decide, commands.ErrInvalid},
	}
	for _, c := range bad {
		if _, err := h.Execute(ctx, c.app, "", c.decide); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.app, err, c.want)
		}
	}
	deploy(t, h, "web", 1)
	if _, err := h.Execute(ctx, "web", "", commands.Stop{App: "web"}.Decide); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Execute(ctx, "web", "", commands.Scale{App: "web", Replicas: 3}.Decide); !errors.Is(err, commands.ErrRejected) {
		t.Errorf("scale of stopped app: err = %v, want ErrRejected", err)
	}
	last, err := st.LastSequence(ctx, events.AllSubjects)
	if err != nil || last != 4 {
		t.Fatalf("stream last sequence = %d (%v); want 4 (deploy and stop, two events each) only", last, err)
	}
}

func TestDeploySameSpecIsNoOp(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	h := commands.NewHandler(st, "api")
	deploy(t, h, "web", 2)
	res, err := h.Execute(ctx, "web", "", commands.Deploy{App: "web", Image: "nginx", Replicas: intp(2)}.Decide)
	if err != nil || len(res.Events) != 0 {
		t.Fatalf("redeploy of same spec = %+v, %v; want no-op", res, err)
	}
	res, err = h.Execute(ctx, "web", "", commands.Deploy{App: "web", Image: "nginx:2", Replicas: intp(2)}.Decide)
	if err != nil || len(res.Events) != 3 || res.Events[1].(events.AppDeployed).Version != 2 {
		t.Fatalf("redeploy with new image = %+v, %v; want version 2", res, err)
	}
	// The first release's rollout was still live (no rollout worker runs
	// here): the new deploy supersedes it and starts its own.
	if sup, ok := res.Events[0].(events.RolloutSuperseded); !ok || sup.Release != 1 || sup.By != 2 {
		t.Errorf("first event = %+v, want release 1 superseded by 2", res.Events[0])
	}
	if st, ok := res.Events[2].(events.RolloutStarted); !ok || st.Release != 2 || st.From != 1 || st.Spec.Strategy != events.StrategyRolling {
		t.Errorf("last event = %+v, want a rolling rollout of release 2", res.Events[2])
	}
}
