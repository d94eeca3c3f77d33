package readapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// Querier is what the read API needs of the database.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// API answers read requests from the read models.
type API struct {
	db Querier
}

// New returns the read API over db.
func New(db Querier) *API { return &API{db: db} }

// Routes registers the read endpoints on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/apps", a.listApps)
	mux.HandleFunc("GET /v1/apps/{app}", a.getApp)
	mux.HandleFunc("GET /v1/apps/{app}/instances", a.listInstances)
	mux.HandleFunc("GET /v1/apps/{app}/endpoints", a.listEndpoints)
	mux.HandleFunc("GET /v1/apps/{app}/events", a.listEvents)
	mux.HandleFunc("GET /v1/hosts", a.listHosts)
}

// appColumns is an app row with its instance counts, as JSON.
const appColumns = `
	a.name, a.image, a.version, a.replicas, a.status, a.spec, a.domains, a.deny, a.autoscale,
	a.placement_failure_reasons AS placement_failure, a.placement_unplaced AS unplaced,
	a.created_at, a.updated_at,
	(SELECT count(*) FROM instances i WHERE i.app = a.name AND i.state IN ('scheduled','running','healthy')) AS live,
	(SELECT count(*) FROM instances i WHERE i.app = a.name AND i.state = 'healthy') AS healthy,
	(SELECT coalesce(json_object_agg(state, n), '{}') FROM
		(SELECT state, count(*) AS n FROM instances i WHERE i.app = a.name GROUP BY state) s) AS instances_by_state`

func (a *API) listApps(w http.ResponseWriter, r *http.Request) {
	a.answer(w, r, `SELECT coalesce(json_agg(t ORDER BY t.name), '[]') FROM (SELECT `+appColumns+` FROM apps a) t`)
}

func (a *API) getApp(w http.ResponseWriter, r *http.Request) {
	app, ok := appParam(w, r)
	if !ok {
		return
	}
	a.answerOne(w, r, "app "+app, `SELECT row_to_json(t) FROM (SELECT `+appColumns+` FROM apps a WHERE a.name = $1) t`, app)
}

func (a *API) listInstances(w http.ResponseWriter, r *http.Request) {
	app, ok := appParam(w, r)
	if !ok {
		return
	}
	states := `AND state IN ('scheduled','running','healthy','unhealthy','exited')`
	if r.URL.Query().Get("all") != "" {
		states = ""
	}
	a.answer(w, r, `SELECT coalesce(json_agg(t ORDER BY t.scheduled_at, t.id), '[]') FROM (
		SELECT id, app, version, host, host_addr, host_port, state, container_id, exit_code, oom_killed,
		       error, reason, image, cpus, memory_bytes, scheduled_at, started_at, exited_at, stopped_at, updated_at
		FROM instances WHERE app = $1 `+states+`) t`, app)
}

func (a *API) listEndpoints(w http.ResponseWriter, r *http.Request) {
	app, ok := appParam(w, r)
	if !ok {
		return
	}
	a.answer(w, r, `SELECT coalesce(json_agg(t ORDER BY t.instance), '[]') FROM (
		SELECT instance, app, host, addr, registered_at FROM endpoints WHERE app = $1) t`, app)
}

// listEvents answers an app's history as CloudEvents: ?after=SEQ,
// ?limit=N (default 100, at most 1000), ?type=dev.berth.app.<kind>,
// ?order=desc for newest first.
func (a *API) listEvents(w http.ResponseWriter, r *http.Request) {
	app, ok := appParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	after, err := uintParam(q.Get("after"), 0)
	if err != nil {
		httpjson.WriteError(w, r, httpjson.BadRequest{Msg: "after: " + err.Error()})
		return
	}
	limit, err := uintParam(q.Get("limit"), 100)
	if err != nil || limit < 1 || limit > 1000 {
		httpjson.WriteError(w, r, httpjson.BadRequest{Msg: "limit: want 1..1000"})
		return
	}
	order := "ASC"
	if q.Get("order") == "desc" {
		order = "DESC"
	}
	a.answer(w, r, `SELECT coalesce(json_agg(t ORDER BY t.seq `+order+`), '[]') FROM (
		SELECT seq, '`+events.SpecVersion+`' AS specversion, id, source, type, app AS subject, time,
		       'application/json' AS datacontenttype, nullif(idempotency_key, '') AS berthkey, data
		FROM app_events WHERE app = $1 AND seq > $2 AND ($3 = '' OR type = $3)
		ORDER BY seq `+order+` LIMIT $4) t`, app, after, q.Get("type"), limit)
}

func (a *API) listHosts(w http.ResponseWriter, r *http.Request) {
	a.answer(w, r, `SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM (
		SELECT h.id, h.addr, h.zone, h.labels, h.cpus, h.memory_bytes, h.port_min, h.port_max, h.state,
		       h.registered_at, h.lost_at, h.last_seen,
		       coalesce(u.cpus, 0) AS used_cpus, coalesce(u.mem, 0) AS used_memory_bytes,
		       coalesce(u.n, 0) AS instances
		FROM hosts h LEFT JOIN (
			SELECT host, sum(cpus) AS cpus, sum(memory_bytes) AS mem, count(*) AS n
			FROM instances WHERE state IN ('scheduled','running','healthy') GROUP BY host
		) u ON u.host = h.id) t`)
}

func (a *API) answer(w http.ResponseWriter, r *http.Request, sql string, args ...any) {
	var body json.RawMessage
	if err := a.db.QueryRow(r.Context(), sql, args...).Scan(&body); err != nil {
		httpjson.WriteError(w, r, fmt.Errorf("query read model: %w", err))
		return
	}
	httpjson.Write(w, http.StatusOK, body)
}

func (a *API) answerOne(w http.ResponseWriter, r *http.Request, what, sql string, args ...any) {
	var body json.RawMessage
	err := a.db.QueryRow(r.Context(), sql, args...).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		httpjson.WriteError(w, r, fmt.Errorf("%w: %s", events.ErrNotFound, what))
		return
	}
	if err != nil {
		httpjson.WriteError(w, r, fmt.Errorf("query read model: %w", err))
		return
	}
	httpjson.Write(w, http.StatusOK, body)
}

func appParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	app := r.PathValue("app")
	if err := commands.ValidateAppName(app); err != nil {
		httpjson.WriteError(w, r, err)
		return "", false
	}
	return app, true
}

func uintParam(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 63)
}
