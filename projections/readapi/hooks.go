package readapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/commands/httpjson"
)

// Hook is a webhook subscription (read model proj-hooks) with its
// receiver's health as the delivery worker last saw it.
type Hook struct {
	Name         string     `json:"name" db:"name"`
	Project      string     `json:"project" db:"project"`
	URL          string     `json:"url" db:"url"`
	Apps         []string   `json:"apps" db:"apps"`
	Types        []string   `json:"types" db:"types"`
	State        string     `json:"state" db:"state"`
	LastError    string     `json:"last_error" db:"last_error"`
	CreatedAt    time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at" db:"updated_at"`
	FailingSince *time.Time `json:"failing_since" db:"failing_since"`
	LastSuccess  *time.Time `json:"last_success" db:"last_success"`
}

// Delivery is one attempt to deliver an event to a hook; outcome is
// delivered, failed (retried) or dead (a dead letter, replayable).
type Delivery struct {
	ID          int64     `json:"id" db:"id"`
	EventID     string    `json:"event_id" db:"event_id"`
	EventSeq    int64     `json:"event_seq" db:"event_seq"`
	EventType   string    `json:"event_type" db:"event_type"`
	Subject     string    `json:"subject" db:"subject"`
	Attempt     int       `json:"attempt" db:"attempt"`
	AttemptedAt time.Time `json:"attempted_at" db:"attempted_at"`
	StatusCode  int       `json:"status_code" db:"status_code"`
	LatencyMS   float64   `json:"latency_ms" db:"latency_ms"`
	Outcome     string    `json:"outcome" db:"outcome"`
	Error       string    `json:"error" db:"error"`
	Response    string    `json:"response" db:"response"`
}

// HookRoutes registers GET /v1/hooks, /v1/hooks/{name} and
// /v1/hooks/{name}/deliveries[?limit=N&outcome=dead].
func (a *API) HookRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/hooks", a.serve(func(r *http.Request) (any, error) { return a.Hooks(r.Context(), "") }))
	mux.HandleFunc("GET /v1/hooks/{name}", a.serveHook(func(r *http.Request, name string) (any, error) {
		hs, err := a.Hooks(r.Context(), name)
		if err != nil {
			return nil, err
		}
		return hs[0], nil
	}))
	mux.HandleFunc("GET /v1/hooks/{name}/deliveries", a.serveHook(a.listDeliveries))
}

func (a *API) serveHook(get func(*http.Request, string) (any, error)) http.HandlerFunc {
	return a.serve(func(r *http.Request) (any, error) {
		name := r.PathValue("name")
		if err := hooks.ValidateName(name); err != nil {
			return nil, err
		}
		return get(r, name)
	})
}

// Hooks lists hooks that were not removed by name, or the one named
// (ErrNotFound when it never existed).
func (a *API) Hooks(ctx context.Context, name string) ([]Hook, error) {
	rows, err := a.db.Query(ctx, `SELECT h.name, h.project, h.url, h.apps, h.types, h.state, h.last_error,
		h.created_at, h.updated_at, s.failing_since, s.last_success
		FROM hooks h LEFT JOIN hook_status s ON s.hook = h.name
		WHERE ($1 = '' AND h.state <> 'removed') OR h.name = $1 ORDER BY h.name`, name)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Hook])
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("hook %s: %w", name, ErrNotFound)
	}
	return out, nil
}

func (a *API) listDeliveries(r *http.Request, name string) (any, error) {
	limit, err := intParam(r, "limit", 1, 1000)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = 50
	}
	outcome := r.URL.Query().Get("outcome")
	switch outcome {
	case "", "delivered", "failed", "dead":
	default:
		return nil, httpjson.BadRequest{Msg: fmt.Sprintf("outcome: %q is not delivered, failed or dead", outcome)}
	}
	if _, err := a.Hooks(r.Context(), name); err != nil {
		return nil, err
	}
	return a.Deliveries(r.Context(), name, outcome, int(limit))
}

// Deliveries lists a hook's most recent attempts, newest first.
func (a *API) Deliveries(ctx context.Context, hook, outcome string, limit int) ([]Delivery, error) {
	rows, err := a.db.Query(ctx, `SELECT id, event_id, event_seq, event_type, subject, attempt, attempted_at,
		status_code, latency_ms, outcome, error, response
		FROM hook_deliveries WHERE hook = $1 AND ($2 = '' OR outcome = $2) ORDER BY id DESC LIMIT $3`, hook, outcome, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of hook %s: %w", hook, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Delivery])
	if err != nil {
		return nil, fmt.Errorf("list deliveries of hook %s: %w", hook, err)
	}
	return out, nil
}
