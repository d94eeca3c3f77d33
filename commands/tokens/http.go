package tokens

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/berth-dev/berth/commands/authz"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// Log is what the token endpoints read and append.
type Log interface {
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Append(ctx context.Context, agg events.Aggregate, expected uint64, evs []events.Event, opts events.AppendOptions) (events.Appended, error)
}

// API serves the token endpoints.
type API struct {
	log Log
	reg *Registry
	now func() time.Time
}

// NewAPI returns the endpoints over log, listing from reg.
func NewAPI(log Log, reg *Registry) *API { return &API{log: log, reg: reg, now: time.Now} }

// Routes registers POST /v1/tokens, GET /v1/tokens and
// POST /v1/tokens/{name}/revoke (admin only, see authz.Routes).
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/tokens", a.create)
	mux.HandleFunc("GET /v1/tokens", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, a.reg.List())
	})
	mux.HandleFunc("POST /v1/tokens/{name}/revoke", a.revoke)
}

// CreateRequest is the body of POST /v1/tokens.
type CreateRequest struct {
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Projects []string `json:"projects,omitempty"`
	// TTL is a Go duration ("24h"); empty: no expiry.
	TTL string `json:"ttl,omitempty"`
}

// Created is the answer: the only time the secret is shown.
type Created struct {
	Name      string     `json:"name"`
	Token     string     `json:"token"`
	Role      string     `json:"role"`
	Projects  []string   `json:"projects,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type apiError struct {
	status int
	msg    string
	field  string
}

func (e apiError) Error() string     { return e.msg }
func (e apiError) HTTPStatus() int   { return e.status }
func (e apiError) FieldName() string { return e.field }

func invalid(field, format string, args ...any) error {
	return apiError{http.StatusBadRequest, field + ": " + fmt.Sprintf(format, args...), field}
}

// validate checks a request, reporting every problem at once.
func (c CreateRequest) validate(now time.Time) (events.TokenGranted, error) {
	var errs []error
	g := events.TokenGranted{Name: c.Name, Role: c.Role, Projects: c.Projects}
	if !NamePattern.MatchString(c.Name) {
		errs = append(errs, invalid("name", "%q: want lower-case letters, digits, '-' or '_' (at most 63)", c.Name))
	}
	if _, err := authz.ParseRole(c.Role); err != nil {
		errs = append(errs, invalid("role", "%v", err))
	}
	if authz.Role(c.Role) == authz.Admin && len(c.Projects) > 0 {
		errs = append(errs, invalid("projects", "admin tokens span every project"))
	}
	for _, p := range c.Projects {
		if !NamePattern.MatchString(p) {
			errs = append(errs, invalid("projects", "%q is not a project name", p))
		}
	}
	if c.TTL != "" {
		ttl, err := time.ParseDuration(c.TTL)
		if err != nil || ttl <= 0 {
			errs = append(errs, invalid("ttl", "%q: want a positive duration like 24h", c.TTL))
		} else {
			g.ExpiresAt = now.Add(ttl).UTC()
		}
	}
	return g, errors.Join(errs...) // the answer's "field" is the first problem's
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var c CreateRequest
	if err := httpjson.Decode(r, &c); err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	g, err := c.validate(a.now())
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	token, err := New(c.Name)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	g.SecretHash = Hash(token)
	err = a.change(r.Context(), c.Name, func(cur Grant, exists bool) (events.Event, error) {
		if exists && cur.Active(a.now()) {
			return nil, apiError{http.StatusConflict, fmt.Sprintf("token %s exists; revoke it first", c.Name), "name"}
		}
		return g, nil
	})
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	out := Created{Name: g.Name, Token: token, Role: g.Role, Projects: g.Projects}
	if !g.ExpiresAt.IsZero() {
		out.ExpiresAt = &g.ExpiresAt
	}
	httpjson.Write(w, http.StatusCreated, out)
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := a.change(r.Context(), name, func(cur Grant, exists bool) (events.Event, error) {
		if !exists || cur.Revoked {
			return nil, apiError{http.StatusNotFound, fmt.Sprintf("no token %s to revoke", name), "name"}
		}
		return events.TokenRevoked{Name: name}, nil
	})
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"revoked": name})
}

// change decides on the token's current grant and appends the result
// against the token's last sequence, re-deciding after a conflict.
func (a *API) change(ctx context.Context, name string, decide func(Grant, bool) (events.Event, error)) error {
	agg := events.Token(name)
	for range 5 {
		recs, last, err := a.log.Load(ctx, agg, 0)
		if err != nil {
			return err
		}
		grants := map[string]Grant{}
		for _, rec := range recs {
			Fold(grants, rec.Event)
		}
		cur, exists := grants[name]
		e, err := decide(cur, exists)
		if err != nil {
			return err
		}
		ap, err := a.log.Append(ctx, agg, last, []events.Event{e}, events.AppendOptions{Source: "berth/api"})
		if errors.Is(err, events.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return a.reg.WaitFor(wctx, ap.Seq)
	}
	return errors.New("token changed concurrently too often; try again")
}
