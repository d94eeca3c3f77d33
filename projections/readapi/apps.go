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

// App is an app's desired state with a summary of its instances.
type App struct {
	Name     string          `json:"name" db:"name"`
	Image    string          `json:"image" db:"image"`
	Version  int             `json:"version" db:"version"`
	Replicas int             `json:"replicas" db:"replicas"`
	Status   string          `json:"status" db:"status"`
	Spec     json.RawMessage `json:"spec" db:"spec"`
	Domains  []string        `json:"domains" db:"domains"`
	Deny     []string        `json:"deny" db:"deny"`
	// Autoscale is the policy, null when the app has none.
	Autoscale json.RawMessage `json:"autoscale" db:"autoscale"`
	// Instances counts instances by state, every state present.
	Instances map[string]int `json:"instances" db:"instances"`
	// Live counts instances that count toward replicas, as the command
	// side counts them (scheduled, running, healthy); Healthy those
	// taking traffic.
	Live    int `json:"live" db:"-"`
	Healthy int `json:"healthy" db:"-"`
	// PlacementFailure holds the reasons the scheduler last gave for not
	// placing every instance; empty once one was placed after it.
	PlacementFailure  []string   `json:"placement_failure" db:"placement_failure_reasons"`
	PlacementUnplaced int        `json:"placement_unplaced" db:"placement_unplaced"`
	PlacementFailedAt *time.Time `json:"placement_failed_at" db:"placement_failed_at"`
	CreatedAt         time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at" db:"updated_at"`
	Seq               int64      `json:"seq" db:"seq"`
}

const appsSQL = `SELECT a.name, a.image, a.version, a.replicas, a.status, a.spec, a.domains, a.deny, a.autoscale,
	COALESCE(c.counts, '{}') AS instances, a.placement_failure_reasons, a.placement_unplaced, a.placement_failed_at,
	a.created_at, a.updated_at, a.seq
	FROM apps a LEFT JOIN LATERAL (
		SELECT jsonb_object_agg(state, n) AS counts
		FROM (SELECT state, count(*) AS n FROM instances i WHERE i.app = a.name GROUP BY state) s
	) c ON true`

// Apps lists every app by name.
func (a *API) Apps(ctx context.Context) ([]App, error) {
	rows, err := a.db.Query(ctx, appsSQL+` ORDER BY a.name`)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	apps, err := pgx.CollectRows(rows, pgx.RowToStructByName[App])
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	for i := range apps {
		apps[i].summarise()
	}
	return apps, nil
}

// App is one app; ErrNotFound if it was never deployed.
func (a *API) App(ctx context.Context, name string) (App, error) {
	rows, err := a.db.Query(ctx, appsSQL+` WHERE a.name = $1`, name)
	if err != nil {
		return App{}, fmt.Errorf("get app %s: %w", name, err)
	}
	app, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[App])
	if errors.Is(err, pgx.ErrNoRows) {
		return App{}, fmt.Errorf("app %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return App{}, fmt.Errorf("get app %s: %w", name, err)
	}
	app.summarise()
	return app, nil
}

func (app *App) summarise() {
	if app.Instances == nil {
		app.Instances = map[string]int{}
	}
	for _, s := range instanceStates {
		app.Instances[s] += 0
	}
	app.Live = app.Instances["scheduled"] + app.Instances["running"] + app.Instances["healthy"]
	app.Healthy = app.Instances["healthy"]
}

func (a *API) listApps(r *http.Request) (any, error) {
	apps, err := a.Apps(r.Context())
	if err != nil {
		return nil, err
	}
	return apps, nil
}

func (a *API) getApp(r *http.Request) (any, error) { return a.App(r.Context(), r.PathValue("app")) }
