package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
)

// EventStore is what the handler needs of the event store.
type EventStore interface {
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// Decider turns a command into events given the app's current state. It
// must be pure: it may be called again on fresher state after a conflict.
type Decider func(app *appstate.App) ([]events.Event, error)

// Result is what a command did.
type Result struct {
	// Seq is the stream sequence of the app's last event after the command.
	Seq uint64 `json:"seq"`
	// Events are the events the command appended (none for a no-op).
	Events []events.Event `json:"-"`
	// Types are the CloudEvents types appended.
	Types []string `json:"events"`
	// Release is the release a deploy created or a rollback brought back.
	Release int `json:"release,omitempty"`
	// Duplicate is true when the idempotency key was already applied.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Handler loads an app, decides, and appends with optimistic concurrency,
// retrying on conflict with fresh state. Safe for concurrent use.
//
// State is cached per app. A decision is first tried on the cached state:
// the append's expected-sequence check rejects it if the app moved on, and
// a rejection or error on possibly stale state is retried on fresh state,
// so the cache never changes an outcome, it only saves a round trip.
type Handler struct {
	store    EventStore
	source   string
	attempts int

	mu    sync.Mutex
	slots map[string]*appSlot

	// domains, when set, claims custom domains across apps (domain_claims.go).
	domains *domainClaims
	// policy is applied to deploys from the HTTP API (security.go).
	policy ContainerPolicy
}

type appSlot struct {
	mu     sync.Mutex
	state  *appstate.App
	loaded bool
}

// NewHandler returns a handler appending to store as CloudEvents source.
func NewHandler(store EventStore, source string) *Handler {
	return &Handler{store: store, source: source, attempts: 20, slots: map[string]*appSlot{}}
}

func (h *Handler) slot(app string) *appSlot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.slots[app]
	if !ok {
		s = &appSlot{state: appstate.NewApp(app)}
		h.slots[app] = s
	}
	return s
}

// Execute runs decide against app's state and appends what it returns.
// idempotencyKey, if not empty, makes retries of the same command no-ops.
func (h *Handler) Execute(ctx context.Context, app, idempotencyKey string, decide Decider) (Result, error) {
	if err := ValidateAppName(app); err != nil {
		return Result{}, err
	}
	s := h.slot(app)
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := false
	refresh := func() error {
		fresh = true
		return h.catchUp(ctx, s)
	}
	if !s.loaded {
		if err := refresh(); err != nil {
			return Result{}, err
		}
	}
	for attempt := 0; attempt < h.attempts; attempt++ {
		if seq, ok := s.state.Keys[idempotencyKey]; ok && idempotencyKey != "" {
			return Result{Seq: seq, Duplicate: true}, nil
		}
		evs, err := decide(s.state.Clone())
		if (err != nil || len(evs) == 0) && !fresh {
			if err := refresh(); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if len(evs) == 0 {
			return Result{Seq: s.state.Seq}, nil
		}
		undo, err := h.claim(ctx, s.state, evs)
		if err != nil {
			return Result{}, err
		}
		ap, err := h.store.Append(ctx, events.App(app), s.state.Seq, evs,
			events.AppendOptions{IdempotencyKey: idempotencyKey, Source: h.source})
		if err != nil || ap.Duplicate {
			undo()
		}
		if errors.Is(err, events.ErrConflict) {
			if err := refresh(); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("append to app %s: %w", app, err)
		}
		if ap.Duplicate {
			s.loaded = false // the original is not in the cache yet
			return Result{Seq: ap.Seq, Duplicate: true}, nil
		}
		h.release(ctx, s.state, evs)
		h.fold(s, evs, ap, idempotencyKey)
		res := Result{Seq: ap.Seq, Events: evs}
		for _, e := range evs {
			res.Types = append(res.Types, events.TypeOf(e))
		}
		return res, nil
	}
	return Result{}, fmt.Errorf("app %s: %w after %d attempts", app, events.ErrConflict, h.attempts)
}

// fold applies our own appended events to the cache. The expected-sequence
// check passed, so nothing of this app lies between them and the cache.
func (h *Handler) fold(s *appSlot, evs []events.Event, ap events.Appended, key string) {
	first := ap.Seq - uint64(len(evs)) + 1
	for i, e := range evs {
		s.state.Apply(events.Recorded{Envelope: events.Envelope{IdempotencyKey: key, Time: ap.Time}, Event: e, Sequence: first + uint64(i)})
	}
}

// State returns a copy of app's current state, caught up with the store.
func (h *Handler) State(ctx context.Context, app string) (*appstate.App, error) {
	if err := ValidateAppName(app); err != nil {
		return nil, err
	}
	s := h.slot(app)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := h.catchUp(ctx, s); err != nil {
		return nil, err
	}
	return s.state.Clone(), nil
}

func (h *Handler) catchUp(ctx context.Context, s *appSlot) error {
	recs, _, err := h.store.Load(ctx, events.App(s.state.Name), s.state.Seq)
	if err != nil {
		return fmt.Errorf("load app %s: %w", s.state.Name, err)
	}
	for _, r := range recs {
		if r.Event != nil {
			s.state.Apply(r)
		} else if r.Sequence > s.state.Seq {
			s.state.Seq = r.Sequence
		}
	}
	s.loaded = true
	return nil
}

func (h *Handler) claim(ctx context.Context, app *appstate.App, evs []events.Event) (undo func(), err error) {
	if h.domains == nil {
		return func() {}, nil
	}
	return h.domains.claim(ctx, app, evs)
}

func (h *Handler) release(ctx context.Context, app *appstate.App, evs []events.Event) {
	if h.domains != nil {
		h.domains.release(ctx, app.Name, app.Domains, evs)
	}
}
