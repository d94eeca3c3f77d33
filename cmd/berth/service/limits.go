package service

import (
	"errors"
	"fmt"
)

// Limits are the server's protections against one client or app hurting
// the rest. Zero fields take defaults.
type Limits struct {
	// MaxLogFollowers caps concurrent GET /v1/apps/{app}/logs/follow (429 beyond).
	MaxLogFollowers int
	// MaxEventStreams caps concurrent GET /v1/events/stream (429 beyond).
	MaxEventStreams int
}

func (l *Limits) setDefaults() {
	if l.MaxLogFollowers == 0 {
		l.MaxLogFollowers = 64
	}
	if l.MaxEventStreams == 0 {
		l.MaxEventStreams = 64
	}
}

// Validate reports every problem at once.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxLogFollowers < 0 {
		errs = append(errs, fmt.Errorf("max log follows %d is negative", l.MaxLogFollowers))
	}
	if l.MaxEventStreams < 0 {
		errs = append(errs, fmt.Errorf("max event streams %d is negative", l.MaxEventStreams))
	}
	return errors.Join(errs...)
}
