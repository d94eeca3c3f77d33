package events

import "errors"

var (
	// ErrConflict: the aggregate changed since the caller loaded it; reload
	// and decide again.
	ErrConflict = errors.New("aggregate changed concurrently")
	// ErrNotFound: the aggregate has no events.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the event stream could not be read or written for
	// the whole retry window (no leader: the cluster lost its quorum, or an
	// election outlasted the window). Nothing was stored; try again later.
	ErrUnavailable = errors.New("event store unavailable (no quorum)")
	// ErrOutcomeUnknown: a write went out but its acknowledgement never
	// came back; it may have been stored. Retry with the same idempotency
	// key, which makes the retry apply it at most once.
	ErrOutcomeUnknown = errors.New("event store did not confirm the write")
)
