package readapi

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berth-dev/berth/commands/httpjson"
)

// ErrUnavailable: the read models can't be reached right now. Answered
// with 503; what failed goes to the server log, never to the client (a
// connection error names the database's address and user).
var ErrUnavailable = errors.New("read models unavailable, retry")

// errInternal is what a client sees of any other failure of a read.
var errInternal = errors.New("internal error reading the read models")

func init() { httpjson.Map(ErrUnavailable, http.StatusServiceUnavailable) }

// PublicError turns an error of a read into what a client may see: a
// client's own mistake (400, 404) as it is, the database being out of
// reach as ErrUnavailable, anything else as a bare internal error. The
// original is logged.
func PublicError(r *http.Request, err error) error {
	var st httpjson.Status
	if errors.Is(err, ErrNotFound) || errors.As(err, &st) || r.Context().Err() != nil {
		return err
	}
	if Unreachable(err) {
		slog.Error("read models unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		return ErrUnavailable
	}
	slog.Error("read failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return errInternal
}

// Unreachable reports whether err means the database could not be
// reached or went away, rather than a query being wrong.
func Unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P0x: shutting down or starting;
		// 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool")
}
