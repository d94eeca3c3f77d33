package readapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Endpoint is a healthy instance taking traffic, shaped like the values
// of the berth_endpoints KV bucket.
type Endpoint struct {
	App          string    `json:"app" db:"app"`
	Instance     string    `json:"instance" db:"instance"`
	Host         string    `json:"host" db:"host"`
	Addr         string    `json:"addr" db:"addr"`
	RegisteredAt time.Time `json:"registered_at" db:"registered_at"`
}

// Endpoints lists an app's endpoints by instance.
func (a *API) Endpoints(ctx context.Context, app string) ([]Endpoint, error) {
	if err := a.known(ctx, app); err != nil {
		return nil, err
	}
	rows, err := a.db.Query(ctx, `SELECT app, instance, host, addr, registered_at FROM endpoints
		WHERE app = $1 ORDER BY instance`, app)
	if err != nil {
		return nil, fmt.Errorf("list endpoints of %s: %w", app, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Endpoint])
	if err != nil {
		return nil, fmt.Errorf("list endpoints of %s: %w", app, err)
	}
	return out, nil
}

func (a *API) listEndpoints(r *http.Request) (any, error) {
	return a.Endpoints(r.Context(), r.PathValue("app"))
}
