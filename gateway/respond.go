package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// statusClientClosed is nginx's code for a client that left before the
// answer; it only ever shows in stats.
const statusClientClosed = 499

type errNoApp struct{ host string }

func (e errNoApp) Error() string { return fmt.Sprintf("no app serves host %q", e.host) }

type errNoInstance struct{ app string }

func (e errNoInstance) Error() string {
	return fmt.Sprintf("no healthy instance of app %q", e.app)
}

type errDenied struct{}

func (errDenied) Error() string { return "access denied" }

type errUpstream struct{ err error }

func (e errUpstream) Error() string { return "upstream unavailable" }
func (e errUpstream) Unwrap() error { return e.err }

// respond is the one place gateway errors become HTTP answers: a status and
// a short plain-text body. Upstream details stay in the log, not the body.
func respond(w http.ResponseWriter, err error) {
	status := http.StatusBadGateway
	var (
		noApp      errNoApp
		noInstance errNoInstance
		noRelease  errNoRelease
		badPin     errBadPin
		denied     errDenied
		dial       *dialError
	)
	switch {
	case errors.As(err, &noApp):
		status = http.StatusNotFound
	case errors.As(err, &noInstance):
		status = http.StatusServiceUnavailable
	case errors.As(err, &noRelease):
		status = http.StatusServiceUnavailable
	case errors.As(err, &badPin):
		status = http.StatusBadRequest
	case errors.As(err, &denied):
		status = http.StatusForbidden
	case errors.As(err, &dial):
		// Every endpoint refused or never answered the dial: 502.
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		status = http.StatusGatewayTimeout
		err = errors.New("upstream timed out")
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, err.Error())
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
