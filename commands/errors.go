package commands

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/berth-dev/berth/commands/httpjson"

	"github.com/berth-dev/berth/events"
)

var (
	// ErrInvalid: the command is malformed; FieldError says where.
	ErrInvalid = errors.New("invalid command")
	// ErrNotFound: the app or instance the command names does not exist.
	ErrNotFound = events.ErrNotFound
	// ErrRejected: the command is well-formed but the app's state forbids it.
	ErrRejected = errors.New("rejected")
)

// FieldError names the input field that is wrong and why.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap lets errors.Is(err, ErrInvalid) hold for every field error.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func rejected(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// FieldName is the input field the error is about.
func (e *FieldError) FieldName() string { return e.Field }

func init() {
	httpjson.Map(ErrInvalid, http.StatusBadRequest)
	httpjson.Map(ErrNotFound, http.StatusNotFound)
	httpjson.Map(ErrRejected, http.StatusConflict)
	httpjson.Map(events.ErrConflict, http.StatusConflict)
}
