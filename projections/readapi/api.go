package readapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// ErrNotFound: no such app. It is events.ErrNotFound, answered with 404.
var ErrNotFound = events.ErrNotFound

func init() { httpjson.Map(ErrNotFound, http.StatusNotFound) }

// Querier is what the read API needs of the database; *pgxpool.Pool
// has it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// API answers the read endpoints. Lists are JSON arrays; field names are
// snake_case.
type API struct {
	db Querier
}

// New answers from db, typically the server's *pgxpool.Pool.
func New(db Querier) *API { return &API{db: db} }

// Routes registers the read endpoints on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/apps", a.serve(a.listApps))
	mux.HandleFunc("GET /v1/apps/{app}", a.serve(a.getApp))
	mux.HandleFunc("GET /v1/apps/{app}/instances", a.serve(a.listInstances))
	mux.HandleFunc("GET /v1/apps/{app}/endpoints", a.serve(a.listEndpoints))
	mux.HandleFunc("GET /v1/apps/{app}/events", a.serve(a.listEvents))
	mux.HandleFunc("GET /v1/apps/{app}/releases", a.serve(a.listReleases))
	mux.HandleFunc("GET /v1/apps/{app}/rollout", a.serve(a.getRollout))
	mux.HandleFunc("GET /v1/hosts", a.serve(a.listHosts))
}

// serve answers with what get returns as JSON, or its error. An invalid
// app name in the path is a 400, not a lookup.
func (a *API) serve(get func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if app := r.PathValue("app"); app != "" {
			if err := commands.ValidateAppName(app); err != nil {
				httpjson.WriteError(w, r, err)
				return
			}
		}
		v, err := get(r)
		if err != nil {
			httpjson.WriteError(w, r, PublicError(r, err))
			return
		}
		httpjson.Write(w, http.StatusOK, v)
	}
}

// known fails with ErrNotFound unless app was ever deployed or has history.
func (a *API) known(ctx context.Context, app string) error {
	var ok bool
	err := a.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM apps WHERE name = $1)
		OR EXISTS (SELECT 1 FROM app_events WHERE app = $1)`, app).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look up app %s: %w", app, err)
	}
	if !ok {
		return fmt.Errorf("app %s: %w", app, ErrNotFound)
	}
	return nil
}
