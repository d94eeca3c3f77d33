package hooks

import (
	"fmt"
	"slices"

	"github.com/berth-dev/berth/events"
)

// Hook is a subscription's state, folded from its events. The command
// handler decides from it and the delivery worker runs what it says.
type Hook struct {
	Name string
	// Exists: created and not removed since.
	Exists bool
	Spec   events.HookSpec
	// ConsumerSeq is the sequence of the event that named the current
	// durable consumer (the creation or the last replay request);
	// StartSeq is where that consumer starts in the stream.
	ConsumerSeq uint64
	StartSeq    uint64
	// PrevConsumer is the consumer a replay replaced ("" otherwise): the
	// replay starts no later than where that one had got to.
	PrevConsumer string
	Failing      bool
	// Seq is the sequence of the hook's last event.
	Seq uint64
	// Keys maps idempotency keys to the sequence they were stored at.
	Keys map[string]uint64
}

// New is the state of a hook without events.
func New(name string) *Hook { return &Hook{Name: name, Keys: map[string]uint64{}} }

// ConsumerName is the hook's current durable consumer on the event
// stream. It changes with each incarnation and replay, so a re-created
// hook never inherits an old position. Never change the scheme.
func (h *Hook) ConsumerName() string {
	return fmt.Sprintf("hook_%s_%d", h.Name, h.ConsumerSeq)
}

// Apply folds one recorded event of this hook into the state.
func (h *Hook) Apply(r events.Recorded) {
	if r.Sequence > h.Seq {
		h.Seq = r.Sequence
	}
	if r.IdempotencyKey != "" {
		h.Keys[r.IdempotencyKey] = r.Sequence
	}
	switch e := r.Event.(type) {
	case events.HookCreated:
		*h = Hook{Name: h.Name, Exists: true, Spec: cloneSpec(e.HookSpec), ConsumerSeq: r.Sequence,
			StartSeq: r.Sequence + 1, Seq: h.Seq, Keys: h.Keys}
	case events.HookChanged:
		h.Spec = cloneSpec(e.HookSpec)
	case events.HookRemoved:
		h.Exists, h.Failing = false, false
	case events.HookFailing:
		h.Failing = true
	case events.HookRecovered:
		h.Failing = false
	case events.HookReplayRequested:
		if h.Exists {
			h.PrevConsumer = h.ConsumerName()
			h.ConsumerSeq, h.StartSeq = r.Sequence, e.FromSeq
		}
	}
}

// Clone is a deep copy.
func (h *Hook) Clone() *Hook {
	c := *h
	c.Spec = cloneSpec(h.Spec)
	c.Keys = make(map[string]uint64, len(h.Keys))
	for k, v := range h.Keys {
		c.Keys[k] = v
	}
	return &c
}

func cloneSpec(s events.HookSpec) events.HookSpec {
	s.Apps, s.Types = slices.Clone(s.Apps), slices.Clone(s.Types)
	return s
}

// Matches reports whether spec asks for an event of aggregate agg with
// the given kind: hook events are never delivered, app events when the
// app is listed (or none are), host events only when no app is listed.
func Matches(spec events.HookSpec, agg events.Aggregate, kind string) bool {
	switch agg.Kind {
	case events.KindApp:
		if len(spec.Apps) > 0 && !slices.Contains(spec.Apps, agg.ID) {
			return false
		}
	case events.KindHost:
		if len(spec.Apps) > 0 {
			return false
		}
	default:
		return false
	}
	if len(spec.Types) == 0 {
		return true
	}
	for _, t := range spec.Types {
		if matchKind(t, kind) {
			return true
		}
	}
	return false
}

// matchKind matches an event kind against a pattern: exact, or a prefix
// ending in "*" (rollout_*), or "*".
func matchKind(pattern, kind string) bool {
	if prefix, ok := cutStar(pattern); ok {
		return len(kind) >= len(prefix) && kind[:len(prefix)] == prefix
	}
	return pattern == kind
}

func cutStar(p string) (string, bool) {
	if len(p) > 0 && p[len(p)-1] == '*' {
		return p[:len(p)-1], true
	}
	return "", false
}

// Subjects are the stream filter subjects of a hook's consumer: the
// listed apps' subtrees, or every app and host event.
func Subjects(spec events.HookSpec) []string {
	if len(spec.Apps) == 0 {
		return []string{events.SubjectPrefix + ".app.>", events.SubjectPrefix + ".host.>"}
	}
	out := make([]string, 0, len(spec.Apps))
	for _, a := range spec.Apps {
		out = append(out, events.App(a).Filter())
	}
	slices.Sort(out)
	return slices.Compact(out)
}
