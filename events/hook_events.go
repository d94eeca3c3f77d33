package events

import "time"

// KindHook is the aggregate kind of webhook subscriptions: their events
// are on berth.events.hook.<name>.<kind>. A durable name: don't rename.
const KindHook AggregateKind = "hook"

// Hook returns the aggregate of the webhook subscription name.
func Hook(name string) Aggregate { return Aggregate{Kind: KindHook, ID: name} }

// HookSpec is what a subscription asks for. It is carried whole by
// HookCreated and HookChanged. The secret itself is never in the log:
// SecretID names it in the server's database.
type HookSpec struct {
	Project string `json:"project"`
	URL     string `json:"url"`
	// Apps limits delivery to these apps' events; empty means every app
	// and every host event.
	Apps []string `json:"apps,omitempty"`
	// Types limits delivery to these event kinds (deployed,
	// instance_exited, rollout_* ...); empty means every kind.
	Types    []string `json:"types,omitempty"`
	SecretID string   `json:"secret_id"`
}

// HookCreated: a webhook subscription was created.
type HookCreated struct {
	Name string `json:"name"`
	HookSpec
}

// HookChanged: a subscription's URL, filters or secret changed.
type HookChanged struct {
	Name string `json:"name"`
	HookSpec
}

// HookRemoved: a subscription was removed; nothing more is delivered.
type HookRemoved struct {
	Name string `json:"name"`
}

// HookFailing: the receiver kept failing; its backlog waits in the stream.
type HookFailing struct {
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
	Error string    `json:"error"`
}

// HookRecovered: a failing receiver accepted an event again.
type HookRecovered struct {
	Name string `json:"name"`
}

// HookReplayRequested: redeliver every matching event from stream
// sequence FromSeq on (the first event at or after Since).
type HookReplayRequested struct {
	Name    string    `json:"name"`
	Since   time.Time `json:"since"`
	FromSeq uint64    `json:"from_seq"`
}

func (HookCreated) Kind() string         { return "created" }
func (HookChanged) Kind() string         { return "changed" }
func (HookRemoved) Kind() string         { return "removed" }
func (HookFailing) Kind() string         { return "failing" }
func (HookRecovered) Kind() string       { return "recovered" }
func (HookReplayRequested) Kind() string { return "replay_requested" }

func (e HookCreated) Aggregate() Aggregate         { return Hook(e.Name) }
func (e HookChanged) Aggregate() Aggregate         { return Hook(e.Name) }
func (e HookRemoved) Aggregate() Aggregate         { return Hook(e.Name) }
func (e HookFailing) Aggregate() Aggregate         { return Hook(e.Name) }
func (e HookRecovered) Aggregate() Aggregate       { return Hook(e.Name) }
func (e HookReplayRequested) Aggregate() Aggregate { return Hook(e.Name) }

func init() {
	register(KindHook, func() Event { return &HookCreated{} })
	register(KindHook, func() Event { return &HookChanged{} })
	register(KindHook, func() Event { return &HookRemoved{} })
	register(KindHook, func() Event { return &HookFailing{} })
	register(KindHook, func() Event { return &HookRecovered{} })
	register(KindHook, func() Event { return &HookReplayRequested{} })
}
