package projections

import "github.com/berth-dev/berth/events"

// history keeps every app event (instance events and autoscale decisions
// included) for GET /v1/apps/{app}/events.
var history = projector{name: HistoryProjector, tables: []string{"app_events"}, fold: foldHistory}

func foldHistory(r events.Recorded) ([]statement, error) {
	agg := r.Event.Aggregate()
	if agg.Kind != events.KindApp {
		return nil, nil
	}
	// A plain INSERT: applying an event twice is a bug and must fail loudly.
	return []statement{stmt(`INSERT INTO app_events (seq, app, type, time, source, id, idempotency_key, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		seq(r), agg.ID, r.Type, r.Time, r.Source, r.ID, r.IdempotencyKey, []byte(r.Data))}, nil
}
