package events

import "errors"

var (
	// ErrConflict: the aggregate changed since the caller loaded it; reload
	// and decide again.
	ErrConflict = errors.New("aggregate changed concurrently")
	// ErrNotFound: the aggregate has no events.
	ErrNotFound = errors.New("not found")
)
