package readapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Release is one deployed spec of an app (release N = deploy version N)
// and how the rollout that brought it in ended.
type Release struct {
	App       string          `json:"app" db:"app"`
	Version   int             `json:"version" db:"version"`
	Image     string          `json:"image" db:"image"`
	Spec      json.RawMessage `json:"spec" db:"spec"`
	CreatedAt time.Time       `json:"created_at" db:"created_at"`
	// IdempotencyKey is the key of the deploy command that created it.
	IdempotencyKey string `json:"idempotency_key" db:"idempotency_key"`
	// Outcome is succeeded, rolled_back, failed or superseded once a
	// rollout to it ended; "" while one runs or when none did.
	Outcome string `json:"outcome" db:"outcome"`
	Reason  string `json:"reason" db:"reason"`
	// Failures counts its instances that failed while rolling out.
	Failures   int  `json:"failures" db:"failures"`
	RollingOut bool `json:"rolling_out" db:"rolling_out"`
}

// Releases lists an app's releases, newest first.
func (a *API) Releases(ctx context.Context, app string) ([]Release, error) {
	if err := a.known(ctx, app); err != nil {
		return nil, err
	}
	rows, err := a.db.Query(ctx, `SELECT app, version, image, spec, created_at, idempotency_key, outcome, reason,
		failures, rolling_out FROM releases WHERE app = $1 ORDER BY version DESC`, app)
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", app, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Release])
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", app, err)
	}
	return out, nil
}

func (a *API) listReleases(r *http.Request) (any, error) {
	return a.Releases(r.Context(), r.PathValue("app"))
}
