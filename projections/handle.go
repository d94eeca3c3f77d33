package projections

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/berth-dev/berth/events"
)

// errStopping turns away events delivered while stopping; they are nacked
// and come back to the next run. It is a cancellation, so not logged.
var errStopping = fmt.Errorf("projections stopping: %w", context.Canceled)

// handle applies one event through the projector, exactly once.
func (r *Runner) handle(p projector, prog *progress, stopping *atomic.Bool) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		ctx := msg.Context()
		d, err := deliveryOf(p.name, msg)
		if err != nil {
			return err
		}
		// While stopping, take no new work, but still settle (ack) what
		// was applied: once turns it away cheaply.
		if stopping.Load() && d.seq > prog.at(p.name) {
			return errStopping
		}
		env, ev, decodeErr := events.Decode(d.body)
		var stmts []statement
		if decodeErr != nil {
			stmts = []statement{skipped(d, decodeErr.Error())}
		} else if stmts, err = p.fold(events.Recorded{Envelope: env, Event: ev, Sequence: d.seq}); err != nil {
			return fmt.Errorf("%w: %w", errUnfoldable, err)
		}
		applied, err := r.cp.once(ctx, d, stmts)
		if errors.Is(err, errGap) {
			// Events this projector never applied lie before d: the
			// consumer is ahead of the checkpoint. Start it over there;
			// d is nacked and comes again in order.
			if rerr := r.resync(ctx, p.name); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		if err != nil {
			return err
		}
		if applied && decodeErr != nil {
			r.log.Warn("projection skipped undecodable event", "projector", p.name, "seq", d.seq, "subject", d.subject, "err", decodeErr)
		}
		prog.advance(p.name, d.seq)
		if r.afterCommit != nil {
			return r.afterCommit(p.name, d.seq)
		}
		return nil
	}
}
