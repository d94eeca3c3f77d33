package commands

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/events"
)

// Record appends facts (an instance started, an endpoint registered) that
// are true whatever the app's state, so no concurrency check applies.
func (h *Handler) Record(ctx context.Context, app string, evs ...events.Event) (Result, error) {
	if err := ValidateAppName(app); err != nil {
		return Result{}, err
	}
	ap, err := h.store.Append(ctx, events.App(app), events.ExpectAny, evs, events.AppendOptions{Source: h.source})
	if err != nil {
		return Result{}, fmt.Errorf("record on app %s: %w", app, err)
	}
	s := h.slot(app)
	s.mu.Lock()
	s.loaded = false
	s.mu.Unlock()
	res := Result{Seq: ap.Seq, Events: evs}
	for _, e := range evs {
		res.Types = append(res.Types, events.TypeOf(e))
	}
	return res, nil
}
