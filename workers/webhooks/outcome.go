package webhooks

import (
	"errors"
	"fmt"
	"net/http"
)

// attempt is what one request did.
type attempt struct {
	status   int
	latency  float64 // milliseconds
	response string
	err      error
}

// ok: the receiver accepted the event (any 2xx).
func (a attempt) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// permanent: retrying cannot help. A 4xx other than 408 (timeout) and 429
// (slow down) rejects this event; a refused address stays refused.
func (a attempt) permanent() bool {
	if errors.Is(a.err, errRefusedAddr) || errors.Is(a.err, errBadURL) {
		return true
	}
	return a.err == nil && a.status >= 400 && a.status < 500 &&
		a.status != http.StatusRequestTimeout && a.status != http.StatusTooManyRequests
}

// summary is the attempt's error text for the deliveries record.
func (a attempt) summary() string {
	switch {
	case a.err != nil:
		return a.err.Error()
	case a.ok():
		return ""
	default:
		return fmt.Sprintf("receiver answered %d", a.status)
	}
}

// deadLetter errors end retries: the event goes to the dead letters (the
// poison queue) and the consumer moves on.
type deadLetter struct {
	reason string
	a      attempt
}

func (d *deadLetter) Error() string { return d.reason }

func isDeadLetter(err error) bool {
	var d *deadLetter
	return errors.As(err, &d)
}
