package httpjson

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	// IdempotencyKey is the key to retry a write with whose outcome is
	// unknown (503).
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// retryKey is implemented by errors that name the idempotency key to
// retry with.
type retryKey interface{ RetryKey() string }

// Status is implemented by errors that know their HTTP status.
type Status interface{ HTTPStatus() int }

// Mapping tells Write which sentinel errors mean which status. Packages
// register theirs at init so this stays the one place statuses are chosen.
var mapping []struct {
	err    error
	status int
}

// Map registers that errors wrapping err are answered with status.
func Map(err error, status int) {
	mapping = append(mapping, struct {
		err    error
		status int
	}{err, status})
}

// fieldError is implemented by validation errors that name a field.
type fieldError interface {
	error
	FieldName() string
}

// WriteError answers with the status err maps to and its message.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var st Status
	if errors.As(err, &st) {
		status = st.HTTPStatus()
	} else {
		for _, m := range mapping {
			if errors.Is(err, m.err) {
				status = m.status
				break
			}
		}
	}
	body := ErrorBody{Error: err.Error()}
	var fe fieldError
	if errors.As(err, &fe) {
		body.Field = fe.FieldName()
	}
	var rk retryKey
	if errors.As(err, &rk) {
		body.IdempotencyKey = rk.RetryKey()
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err, "cause", errors.Unwrap(err))
		if r.Context().Err() != nil {
			status = 499
		}
	}
	Write(w, status, body)
}

// Write answers with status and v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// BadRequest is an error answered with 400.
type BadRequest struct{ Msg string }

func (e BadRequest) Error() string   { return e.Msg }
func (e BadRequest) HTTPStatus() int { return http.StatusBadRequest }

// MaxBody bounds request bodies.
const MaxBody = 1 << 20

// Decode reads a JSON body into v strictly: unknown fields and trailing
// data are errors, and an empty body decodes as {}.
func Decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return BadRequest{Msg: fmt.Sprintf("read body: %v", err)}
	}
	if len(body) > MaxBody {
		return BadRequest{Msg: "body is larger than 1 MiB"}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest{Msg: fmt.Sprintf("invalid JSON body: %v", err)}
	}
	if dec.More() {
		return BadRequest{Msg: "invalid JSON body: trailing data"}
	}
	return nil
}

// RequireToken wraps next so that, when token is set, requests must carry
// "Authorization: Bearer <token>"; compared in constant time. Paths in
// open (health checks) are exempt.
func RequireToken(token string, next http.Handler, open ...string) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range open {
			if r.URL.Path == p {
				next.ServeHTTP(w, r)
				return
			}
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="berth"`)
			Write(w, http.StatusUnauthorized, ErrorBody{Error: "missing or wrong bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
