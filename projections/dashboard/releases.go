package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

// Releases and rollouts: the app page's panel (ReleasesPanel, from the
// read API's Releases and LatestRollout) and the overview's rollout column
// (RolloutSummary, one query for every app). templates/parts.tmpl's
// "releases" and "rollout" blocks draw them.

// ReleasesPanel is the app page's releases-and-rollout panel.
type ReleasesPanel struct {
	App string
	// Releases, newest first.
	Releases []readapi.Release
	// Rollout is the app's latest rollout; nil before the first.
	Rollout *RolloutView
	// Current is the release serving (or being brought in); Rollback
	// lists the others a person may roll back to, newest first.
	Current  int
	Rollback []int
	// Actions: the asker may act and the page is live, not in the past.
	Actions bool
	CSRF    string
	// Past: the time slider looks at an earlier moment; this panel still
	// shows the read models of now.
	Past bool
}

// RolloutView is a rollout with its spec and last inputs decoded.
type RolloutView struct {
	readapi.Rollout
	Live      bool
	Label     string
	Spec      events.RolloutSpec
	Inputs    events.RolloutInputs
	HasInputs bool
	// MeasuredAt is the step whose measurements Inputs are.
	MeasuredAt StepRow
	// ErrorOver and P99Over: the last measurement broke the threshold.
	ErrorOver, P99Over bool
	Steps              []StepRow
}

// StepRow is one event of a rollout in its timeline.
type StepRow struct {
	Seq    int64
	Time   time.Time
	Event  string
	Step   int
	Weight int
	Reason string
	// Inputs summarises the measurements the step was decided on.
	Inputs string
}

// RolloutSummary is an app's rollout in progress, for the overview.
type RolloutSummary struct {
	Active bool
	// Step is a short description such as "canary 50%" or "rolling 2/3".
	Step   string
	Paused bool
}

// Rollout statuses while a rollout runs (readapi.Rollout.Status).
const (
	statusProgressing = "progressing"
	statusPaused      = "paused"
)

// releasesPanel reads the app's releases and latest rollout.
func (d *Dashboard) releasesPanel(ctx context.Context, app string) (ReleasesPanel, error) {
	p := ReleasesPanel{App: app}
	rels, err := d.cfg.Reads.Releases(ctx, app)
	if errors.Is(err, readapi.ErrNotFound) {
		return p, nil // its history is there, its rows not yet
	}
	if err != nil {
		return p, err
	}
	p.Releases = rels
	ro, err := d.cfg.Reads.LatestRollout(ctx, app, 0)
	switch {
	case errors.Is(err, readapi.ErrNotFound):
	case err != nil:
		return p, err
	default:
		v := rolloutView(ro)
		p.Rollout = &v
	}
	p.Current = currentRelease(rels, p.Rollout)
	for _, r := range rels {
		if r.Version != p.Current {
			p.Rollback = append(p.Rollback, r.Version)
		}
	}
	return p, nil
}

// currentRelease is the release serving the app, or being brought in by
// a live rollout: the latest rollout's, unless it ended by putting
// another back; with no rollout, the newest release.
func currentRelease(rels []readapi.Release, ro *RolloutView) int {
	switch {
	case ro == nil && len(rels) > 0:
		return rels[0].Version
	case ro == nil:
		return 0
	case ro.RolledBackTo != nil:
		return *ro.RolledBackTo
	}
	return ro.Release
}

// rolloutView decodes what the page shows of a rollout.
func rolloutView(ro readapi.Rollout) RolloutView {
	v := RolloutView{Rollout: ro, Live: ro.Status == statusProgressing || ro.Status == statusPaused}
	_ = json.Unmarshal(ro.Spec, &v.Spec) // a spec the page cannot read shows no thresholds
	v.Inputs, v.MeasuredAt, v.HasInputs = lastMeasured(ro)
	if v.HasInputs {
		v.ErrorOver = v.Spec.MaxErrorRate > 0 && v.Inputs.ErrorRate > v.Spec.MaxErrorRate
		v.P99Over = v.Spec.MaxP99MS > 0 && v.Inputs.P99MS > v.Spec.MaxP99MS
	}
	var in *events.RolloutInputs
	if v.HasInputs {
		in = &v.Inputs
	}
	v.Label = stepLabel(ro.Strategy, ro.Weight, ro.Status, in)
	for _, s := range ro.Steps {
		row := StepRow{Seq: s.Seq, Time: s.Time, Event: s.Event, Step: s.Step, Weight: s.Weight, Reason: s.Reason}
		if len(s.Inputs) > 0 && string(s.Inputs) != "null" {
			row.Inputs = summarize(s.Inputs)
		}
		v.Steps = append(v.Steps, row)
	}
	return v
}

// lastMeasured is the newest step that carries measurements. An ending a
// person asked for (abort, rollback) carries none, only zeros; the
// rollout's own inputs are then those zeros, so the steps are read.
func lastMeasured(ro readapi.Rollout) (events.RolloutInputs, StepRow, bool) {
	for i := len(ro.Steps) - 1; i >= 0; i-- {
		s := ro.Steps[i]
		var in events.RolloutInputs
		if len(s.Inputs) == 0 || string(s.Inputs) == "null" || json.Unmarshal(s.Inputs, &in) != nil || in.Desired == 0 {
			continue
		}
		return in, StepRow{Seq: s.Seq, Time: s.Time, Event: s.Event, Step: s.Step, Weight: s.Weight}, true
	}
	var in events.RolloutInputs
	if len(ro.Inputs) > 0 && string(ro.Inputs) != "null" && json.Unmarshal(ro.Inputs, &in) == nil {
		return in, StepRow{}, true
	}
	return in, StepRow{}, false
}

// stepLabel is a rollout's step in a few characters: "canary 50%",
// "rolling 2/3" (instances of the new release available / desired).
func stepLabel(strategy string, weight int, status string, in *events.RolloutInputs) string {
	var s string
	switch {
	case strategy == events.StrategyCanary:
		s = fmt.Sprintf("canary %d%%", weight)
	case in != nil:
		s = fmt.Sprintf("%s %d/%d", strategy, in.Available, in.Desired)
	default:
		s = strategy + " starting"
	}
	if status == statusPaused {
		s += ", paused"
	}
	return s
}

// rolloutSummaries reads every app's live rollout in one query, for the
// overview (a query per app would cost 200 round trips for 200 apps).
func rolloutSummaries(ctx context.Context, db Querier) (map[string]RolloutSummary, error) {
	rows, err := db.Query(ctx, `SELECT DISTINCT ON (app) app, strategy, status, weight, inputs
		FROM rollouts ORDER BY app, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("live rollouts: %w", err)
	}
	out := map[string]RolloutSummary{}
	var (
		app, strategy, status string
		weight                int
		inputs                []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&app, &strategy, &status, &weight, &inputs}, func() error {
		if status != statusProgressing && status != statusPaused {
			return nil
		}
		var in *events.RolloutInputs
		if len(inputs) > 0 && string(inputs) != "null" {
			in = &events.RolloutInputs{}
			if json.Unmarshal(inputs, in) != nil {
				in = nil
			}
		}
		out[app] = RolloutSummary{Active: true, Step: stepLabel(strategy, weight, status, in), Paused: status == statusPaused}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("live rollouts: %w", err)
	}
	return out, nil
}
