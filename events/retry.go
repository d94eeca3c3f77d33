package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// outcome is what a failed attempt at the stream says about its request.
type outcome int

const (
	// permanent: the stream answered with a refusal; retrying won't help.
	permanent outcome = iota
	// notStored: nothing reached the stream (no leader to answer, or it
	// answered "temporarily unavailable"); trying again is safe.
	notStored
	// unknown: the request may have been stored, its answer was lost
	// (timeout, connection lost meanwhile).
	unknown
)

func attemptOutcome(err error) outcome {
	switch {
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return notStored
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrConnectionReconnecting):
		return unknown
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.ErrorCode == errCodeDuplicateInProcess:
			return unknown // an earlier attempt is proposed, not yet stored
		case apiErr.Code == 503:
			return notStored // e.g. "JetStream system temporarily unavailable"
		}
	}
	return permanent
}

// errCodeDuplicateInProcess is JetStream's "duplicate message id is in
// process": the leader holds an earlier attempt with the same message id
// that its replicas have not committed yet.
const errCodeDuplicateInProcess = 10158

// retry runs op until it succeeds, fails for good, or the retry window
// (RetryFor, within ctx's deadline) is over: through a stream leader
// election, which takes seconds. Each attempt gets AttemptTimeout. write
// says whether op may have stored something when its answer was lost; a
// write is retried only if repeating it cannot apply it twice (the caller
// ensures that: a message id or an expected sequence).
//
// When the window is over: ErrOutcomeUnknown if a write may have been
// stored, else ErrUnavailable.
func (s *Store) retry(ctx context.Context, write bool, op func(ctx context.Context) error) error {
	deadline := time.Now().Add(s.cfg.RetryFor)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	wait := 50 * time.Millisecond
	maybeStored := false
	for {
		actx, cancel := context.WithTimeout(ctx, min(s.cfg.AttemptTimeout, max(time.Until(deadline), time.Millisecond)))
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		o := attemptOutcome(err)
		if o == permanent || ctx.Err() != nil {
			if maybeStored && ctx.Err() != nil {
				return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
			}
			return err
		}
		maybeStored = maybeStored || (write && o == unknown)
		if time.Until(deadline) < wait {
			if maybeStored {
				return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
			}
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}
