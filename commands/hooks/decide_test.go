package hooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
)

func fold(name string, evs ...events.Event) *hooks.Hook {
	h := hooks.New(name)
	for i, e := range evs {
		h.Apply(events.Recorded{Event: e, Sequence: uint64(10 * (i + 1))})
	}
	return h
}

func TestDecideLifecycle(t *testing.T) {
	put := hooks.Put{Name: "ci", URL: "https://x.example.com", Project: "default", Apps: []string{"web", "api", "web"}}
	h := hooks.New("ci")
	evs, err := put.Decide(h, "s1")
	if err != nil || len(evs) != 1 {
		t.Fatalf("create: %v %v", evs, err)
	}
	created := evs[0].(events.HookCreated)
	if got := created.Apps; len(got) != 2 || got[0] != "api" {
		t.Errorf("apps %v, want a sorted set", got)
	}
	h = fold("ci", created)
	if h.ConsumerName() != "hook_ci_10" || h.StartSeq != 11 {
		t.Errorf("consumer %s from %d", h.ConsumerName(), h.StartSeq)
	}
	if evs, err := put.Decide(h, ""); err != nil || len(evs) != 0 {
		t.Errorf("same put again: %v %v, want nothing", evs, err)
	}
	put.URL = "https://y.example.com"
	evs, _ = put.Decide(h, "")
	if ch, ok := evs[0].(events.HookChanged); !ok || ch.SecretID != "s1" {
		t.Errorf("change: %v, want changed keeping the secret", evs)
	}
	h = fold("ci", created, events.HookReplayRequested{Name: "ci", FromSeq: 3})
	if h.ConsumerName() != "hook_ci_20" || h.StartSeq != 3 || h.PrevConsumer != "hook_ci_10" {
		t.Errorf("after replay: consumer %s from %d, previous %s", h.ConsumerName(), h.StartSeq, h.PrevConsumer)
	}
	if evs, _ := hooks.MarkFailing(h, time.Now(), "503"); len(evs) != 1 {
		t.Errorf("mark failing: %v", evs)
	}
	h = fold("ci", created, events.HookFailing{Name: "ci"})
	if evs, _ := hooks.MarkFailing(h, time.Now(), "503"); len(evs) != 0 {
		t.Errorf("mark failing twice: %v", evs)
	}
	if evs, _ := hooks.MarkRecovered(h); len(evs) != 1 {
		t.Errorf("recover: %v", evs)
	}
	h = fold("ci", created, events.HookRemoved{Name: "ci"})
	if evs, err := hooks.Remove(h); err != nil || len(evs) != 0 {
		t.Errorf("remove twice: %v %v", evs, err)
	}
	if _, err := hooks.Remove(hooks.New("nope")); !errors.Is(err, commands.ErrNotFound) {
		t.Errorf("remove unknown: %v", err)
	}
	if _, err := hooks.Replay(h, time.Now(), 1); !errors.Is(err, commands.ErrNotFound) {
		t.Errorf("replay removed: %v", err)
	}
	put.Project = "other"
	if _, err := put.Decide(fold("ci", created), ""); !errors.Is(err, commands.ErrRejected) {
		t.Errorf("move project: %v", err)
	}
}

func TestMatches(t *testing.T) {
	spec := events.HookSpec{Apps: []string{"web"}, Types: []string{"rollout_*", "deployed"}}
	for _, c := range []struct {
		agg  events.Aggregate
		kind string
		want bool
	}{
		{events.App("web"), "deployed", true},
		{events.App("web"), "rollout_started", true},
		{events.App("web"), "scaled", false},
		{events.App("api"), "deployed", false},
		{events.Host("h1"), "lost", false},
		{events.Hook("web"), "deployed", false},
	} {
		if got := hooks.Matches(spec, c.agg, c.kind); got != c.want {
			t.Errorf("Matches(%v, %s) = %v", c.agg, c.kind, got)
		}
	}
	all := events.HookSpec{}
	if !hooks.Matches(all, events.Host("h1"), "lost") || hooks.Matches(all, events.Hook("x"), "created") {
		t.Error("an unfiltered hook takes app and host events, never hook events")
	}
}
