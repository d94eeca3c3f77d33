package readapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/events"
)

// Event is one event of an app's history: a CloudEvents 1.0 envelope with
// its stream sequence as the extension attribute "seq" (page on with
// ?after=<last seq>).
type Event struct {
	events.Envelope
	Seq int64 `json:"seq"`
}

// HistoryQuery selects events of one app.
type HistoryQuery struct {
	// After and Before bound the stream sequence, exclusive; 0 = unbounded.
	After, Before int64
	// Type keeps only one CloudEvents type (dev.berth.app.autoscale_decided).
	Type string
	// Limit caps the answer; 0 means DefaultLimit.
	Limit int
	// Newest first instead of oldest first.
	Desc bool
}

// Limits of one history page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// History returns a page of the app's events.
func (a *API) History(ctx context.Context, app string, q HistoryQuery) ([]Event, error) {
	if err := a.known(ctx, app); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	order := "ASC"
	if q.Desc {
		order = "DESC"
	}
	rows, err := a.db.Query(ctx, `SELECT seq, type, time, source, id, idempotency_key, data FROM app_events
		WHERE app = $1 AND seq > $2 AND ($3 = 0 OR seq < $3) AND ($4 = '' OR type = $4)
		ORDER BY seq `+order+` LIMIT $5`, app, q.After, q.Before, q.Type, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", app, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var (
			e    Event
			t    time.Time
			data []byte
		)
		err := row.Scan(&e.Seq, &e.Type, &t, &e.Source, &e.ID, &e.IdempotencyKey, &data)
		e.SpecVersion, e.Subject, e.Time = events.SpecVersion, app, t.UTC()
		e.DataContentType, e.Data = "application/json", json.RawMessage(data)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", app, err)
	}
	return out, nil
}

func (a *API) listEvents(r *http.Request) (any, error) {
	var (
		q   HistoryQuery
		err error
	)
	if q.After, err = intParam(r, "after", 0, 1<<62); err != nil {
		return nil, err
	}
	if q.Before, err = intParam(r, "before", 0, 1<<62); err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 1, MaxLimit)
	if err != nil {
		return nil, err
	}
	q.Limit = int(limit)
	q.Type = r.URL.Query().Get("type")
	switch order := r.URL.Query().Get("order"); order {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return nil, badRequest("order: %q is not asc or desc", order)
	}
	return a.History(r.Context(), r.PathValue("app"), q)
}
