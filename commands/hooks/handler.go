package hooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

// EventStore is what the handler needs of the event store.
type EventStore interface {
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// Decider turns a command into events given the hook's current state.
// Pure: it is called again on fresh state after a conflict.
type Decider func(h *Hook) ([]events.Event, error)

// Handler loads a hook, decides and appends with optimistic concurrency.
// Hooks change rarely, so it keeps no cache. Safe for concurrent use.
type Handler struct {
	store  EventStore
	source string
}

// NewHandler appends to store as CloudEvents source.
func NewHandler(store EventStore, source string) *Handler {
	return &Handler{store: store, source: source}
}

const attempts = 10

// Execute runs decide on the hook's state and appends what it returns.
// A repeated idempotency key is answered as a duplicate.
func (h *Handler) Execute(ctx context.Context, name, idempotencyKey string, decide Decider) (commands.Result, error) {
	if err := ValidateName(name); err != nil {
		return commands.Result{}, err
	}
	for range attempts {
		state, err := h.State(ctx, name)
		if err != nil {
			return commands.Result{}, err
		}
		if seq, ok := state.Keys[idempotencyKey]; ok && idempotencyKey != "" {
			return commands.Result{Seq: seq, Duplicate: true}, nil
		}
		evs, err := decide(state)
		if err != nil {
			return commands.Result{}, err
		}
		if len(evs) == 0 {
			return commands.Result{Seq: state.Seq}, nil
		}
		ap, err := h.store.Append(ctx, events.Hook(name), state.Seq, evs,
			events.AppendOptions{IdempotencyKey: idempotencyKey, Source: h.source})
		if errors.Is(err, events.ErrConflict) {
			continue
		}
		if err != nil {
			return commands.Result{}, fmt.Errorf("append to hook %s: %w", name, err)
		}
		if ap.Duplicate {
			return commands.Result{Seq: ap.Seq, Duplicate: true}, nil
		}
		res := commands.Result{Seq: ap.Seq, Events: evs}
		for _, e := range evs {
			res.Types = append(res.Types, events.TypeOf(e))
		}
		return res, nil
	}
	return commands.Result{}, fmt.Errorf("hook %s: %w after %d attempts", name, events.ErrConflict, attempts)
}

// State folds the hook's history.
func (h *Handler) State(ctx context.Context, name string) (*Hook, error) {
	recs, last, err := h.store.Load(ctx, events.Hook(name), 0)
	if err != nil {
		return nil, fmt.Errorf("load hook %s: %w", name, err)
	}
	state := New(name)
	for _, r := range recs {
		if r.Event != nil {
			state.Apply(r)
		}
	}
	state.Seq = last
	return state, nil
}
