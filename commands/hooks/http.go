package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// SecretStore keeps signing secrets outside the log.
type SecretStore interface {
	Put(ctx context.Context, hook, secret string) (string, error)
}

// SeqSince finds the first stream sequence at or after a time.
type SeqSince func(ctx context.Context, t time.Time) (uint64, error)

// API serves the hook write endpoints. They sit behind the API's bearer
// token like every other endpoint.
type API struct {
	h        *Handler
	secrets  SecretStore
	policy   Policy
	seqSince SeqSince
	now      func() time.Time
}

// NewAPI answers hook commands through h.
func NewAPI(h *Handler, secrets SecretStore, p Policy, seqSince SeqSince) *API {
	return &API{h: h, secrets: secrets, policy: p, seqSince: seqSince, now: time.Now}
}

// PutResult is the answer to POST /v1/hooks: the command's result and,
// when the server generated the signing secret, the secret (shown once).
type PutResult struct {
	commands.Result
	Secret string `json:"secret,omitempty"`
}

// Routes registers POST /v1/hooks, DELETE /v1/hooks/{name} and
// POST /v1/hooks/{name}/replay.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/hooks", a.put)
	mux.HandleFunc("DELETE /v1/hooks/{name}", func(w http.ResponseWriter, r *http.Request) {
		a.run(w, r, r.PathValue("name"), Remove)
	})
	mux.HandleFunc("POST /v1/hooks/{name}/replay", func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		since, err := DecodeReplay(body, a.now())
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		from, err := a.seqSince(r.Context(), since)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		a.run(w, r, r.PathValue("name"), func(h *Hook) ([]events.Event, error) { return Replay(h, since, from) })
	})
}

func (a *API) put(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	c, err := DecodePut(body, a.policy)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	state, err := a.h.State(r.Context(), c.Name)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	if seq, dup := state.Keys[key]; dup && key != "" {
		httpjson.Write(w, http.StatusOK, PutResult{Result: commands.Result{Seq: seq, Duplicate: true, Types: []string{}}})
		return
	}
	var generated, secretID string
	if c.Secret == "" && !state.Exists {
		if generated, err = NewSecret(); err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		c.Secret = generated
	}
	if c.Secret != "" {
		if secretID, err = a.secrets.Put(r.Context(), c.Name, c.Secret); err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
	}
	res, err := a.h.Execute(r.Context(), c.Name, key, func(h *Hook) ([]events.Event, error) { return c.Decide(h, secretID) })
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	out := PutResult{Result: nonNilTypes(res)}
	if len(res.Events) > 0 {
		out.Secret = generated
	}
	respond(w, out.Result, out)
}

func (a *API) run(w http.ResponseWriter, r *http.Request, name string, decide Decider) {
	key, err := idempotencyKey(r)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	res, err := a.h.Execute(r.Context(), name, key, decide)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	respond(w, res, nonNilTypes(res))
}

// nonNilTypes makes "events" a JSON array even when nothing was appended.
func nonNilTypes(res commands.Result) commands.Result {
	if res.Types == nil {
		res.Types = []string{}
	}
	return res
}

// respond answers 201 when events were appended, 200 otherwise.
func respond(w http.ResponseWriter, res commands.Result, body any) {
	status := http.StatusOK
	if len(res.Events) > 0 {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, body)
}

func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get(commands.IdempotencyHeader)
	if len(key) > 128 {
		return "", invalid("Idempotency-Key", "is longer than 128 characters")
	}
	return key, nil
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, httpjson.MaxBody+1))
	if err != nil {
		return nil, httpjson.BadRequest{Msg: fmt.Sprintf("read body: %v", err)}
	}
	if len(body) > httpjson.MaxBody {
		return nil, httpjson.BadRequest{Msg: "body is larger than 1 MiB"}
	}
	return body, nil
}

// DecodePut parses and validates the body of POST /v1/hooks strictly.
func DecodePut(body []byte, p Policy) (Put, error) {
	var c Put
	if err := strictJSON(body, &c); err != nil {
		return Put{}, err
	}
	if err := c.Validate(p); err != nil {
		return Put{}, err
	}
	return c, nil
}

// DecodeReplay parses the body of a replay request: {"since": "1h"} (a
// duration back from now, at most 30 days) or an RFC 3339 time.
func DecodeReplay(body []byte, now time.Time) (time.Time, error) {
	var c struct {
		Since string `json:"since"`
	}
	if err := strictJSON(body, &c); err != nil {
		return time.Time{}, err
	}
	if c.Since == "" {
		return time.Time{}, invalid("since", "is required (a duration like 1h or an RFC 3339 time)")
	}
	var since time.Time
	if d, err := time.ParseDuration(c.Since); err == nil {
		if d <= 0 || d > 30*24*time.Hour {
			return time.Time{}, invalid("since", "%q: use a duration between 1s and 720h", c.Since)
		}
		since = now.Add(-d)
	} else if t, err := time.Parse(time.RFC3339, c.Since); err == nil {
		since = t
	} else {
		return time.Time{}, invalid("since", "%q is neither a duration (1h) nor an RFC 3339 time", c.Since)
	}
	if since.After(now) {
		return time.Time{}, invalid("since", "%q is in the future", c.Since)
	}
	return since.UTC(), nil
}

func strictJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httpjson.BadRequest{Msg: "invalid JSON body: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return httpjson.BadRequest{Msg: "invalid JSON body: trailing data"}
	}
	return nil
}
