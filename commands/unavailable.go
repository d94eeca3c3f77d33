package commands

import (
	"errors"
	"net/http"

	"github.com/berth-dev/berth/events"
)

// UnavailableError: the event store could not take the command. Unknown
// means the write went out and may have been stored: the client must
// retry with Key, its idempotency key, which applies it at most once.
type UnavailableError struct {
	Unknown bool
	Key     string
	Err     error
}

func (e *UnavailableError) Error() string {
	if e.Unknown {
		return "event store did not confirm the write (it may have been applied): retry with the same Idempotency-Key"
	}
	return "event store unavailable (no quorum): try again"
}

func (e *UnavailableError) Unwrap() error   { return e.Err }
func (e *UnavailableError) HTTPStatus() int { return http.StatusServiceUnavailable }

// RetryKey names the key to retry with when the outcome is unknown (when
// nothing was stored any key will do).
func (e *UnavailableError) RetryKey() string {
	if e.Unknown {
		return e.Key
	}
	return ""
}

// unavailable turns the event store's unavailability into an
// UnavailableError naming key; other errors pass unchanged.
func unavailable(err error, key string) error {
	switch {
	case errors.Is(err, events.ErrOutcomeUnknown):
		return &UnavailableError{Unknown: true, Key: key, Err: err}
	case errors.Is(err, events.ErrUnavailable):
		return &UnavailableError{Key: key, Err: err}
	}
	return err
}
