package readapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rollout is one rollout of an app, with every event of it in Steps.
type Rollout struct {
	ID       int64           `json:"id" db:"id"`
	App      string          `json:"app" db:"app"`
	Release  int             `json:"release" db:"release"`
	From     int             `json:"from" db:"from_release"`
	Rollback bool            `json:"rollback" db:"rollback"`
	Strategy string          `json:"strategy" db:"strategy"`
	Spec     json.RawMessage `json:"spec" db:"spec"`
	// Status is progressing or paused while it runs, then succeeded,
	// rolled_back, failed or superseded.
	Status  string `json:"status" db:"status"`
	Step    int    `json:"step" db:"step"`
	Weight  int    `json:"weight" db:"weight"`
	KeepOld int    `json:"keep_old" db:"keep_old"`
	// RolledBackTo is the release serving again after a roll back.
	RolledBackTo *int   `json:"rolled_back_to" db:"rolled_back_to"`
	Reason       string `json:"reason" db:"reason"`
	// Inputs are the measurements of the last step (null before one).
	Inputs    json.RawMessage `json:"inputs" db:"inputs"`
	StartedAt time.Time       `json:"started_at" db:"started_at"`
	StepAt    time.Time       `json:"step_at" db:"step_at"`
	UpdatedAt time.Time       `json:"updated_at" db:"updated_at"`
	EndedAt   *time.Time      `json:"ended_at" db:"ended_at"`
	Steps     []RolloutStep   `json:"steps" db:"-"`
}

// RolloutStep is one event of a rollout: started, stepped, paused,
// resumed, or the terminal status.
type RolloutStep struct {
	Seq     int64           `json:"seq" db:"seq"`
	Event   string          `json:"event" db:"event"`
	Step    int             `json:"step" db:"step"`
	Weight  int             `json:"weight" db:"weight"`
	KeepOld int             `json:"keep_old" db:"keep_old"`
	Reason  string          `json:"reason" db:"reason"`
	Inputs  json.RawMessage `json:"inputs" db:"inputs"`
	Time    time.Time       `json:"time" db:"time"`
}

// LatestRollout is the app's latest rollout, or with release > 0 the
// latest rollout of that release; ErrNotFound when there is none.
func (a *API) LatestRollout(ctx context.Context, app string, release int) (Rollout, error) {
	if err := a.known(ctx, app); err != nil {
		return Rollout{}, err
	}
	rows, err := a.db.Query(ctx, `SELECT id, app, release, from_release, rollback, strategy, spec, status, step, weight,
		keep_old, rolled_back_to, reason, inputs, started_at, step_at, updated_at, ended_at
		FROM rollouts WHERE app = $1 AND ($2 = 0 OR release = $2) ORDER BY id DESC LIMIT 1`, app, release)
	if err != nil {
		return Rollout{}, fmt.Errorf("rollout of %s: %w", app, err)
	}
	ro, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Rollout])
	if errors.Is(err, pgx.ErrNoRows) {
		if release > 0 {
			return Rollout{}, fmt.Errorf("app %s has no rollout of release %d: %w", app, release, ErrNotFound)
		}
		return Rollout{}, fmt.Errorf("app %s has no rollout: %w", app, ErrNotFound)
	}
	if err != nil {
		return Rollout{}, fmt.Errorf("rollout of %s: %w", app, err)
	}
	rows, err = a.db.Query(ctx, `SELECT seq, event, step, weight, keep_old, reason, inputs, time
		FROM rollout_steps WHERE rollout_id = $1 ORDER BY seq`, ro.ID)
	if err != nil {
		return Rollout{}, fmt.Errorf("steps of the rollout of %s: %w", app, err)
	}
	if ro.Steps, err = pgx.CollectRows(rows, pgx.RowToStructByName[RolloutStep]); err != nil {
		return Rollout{}, fmt.Errorf("steps of the rollout of %s: %w", app, err)
	}
	return ro, nil
}

func (a *API) getRollout(r *http.Request) (any, error) {
	release, err := intParam(r, "release", 1, 1<<31-1)
	if err != nil {
		return nil, err
	}
	return a.LatestRollout(r.Context(), r.PathValue("app"), int(release))
}
