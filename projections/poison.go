package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgconn"
)

// isPoison tells the PoisonQueue which failures will fail again on every
// redelivery, so retrying would wedge the projector: a panic while
// applying, or data Postgres refuses (SQLSTATE classes 22 data exception
// and 23 integrity violation, e.g. a NUL byte in a string). Everything
// else (connection loss, serialization failures, a gap) is transient and
// retried until it succeeds, because skipping would corrupt the read model.
func isPoison(err error) bool {
	if errors.Is(err, errUnfoldable) {
		return true
	}
	var panicked middleware.RecoveredPanicError
	if errors.As(err, &panicked) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")
	}
	return false
}

// errUnfoldable: a projector could not turn an event into statements.
var errUnfoldable = errors.New("cannot fold event")

// skipPublisher is the PoisonQueue's publisher. Instead of another topic,
// whose publish could not share the checkpoint's transaction, it records
// the event in projection_skipped and advances the projector past it in
// one transaction, so the projector neither loses track nor wedges.
type skipPublisher struct {
	cp  checkpoints
	log *slog.Logger
}

func (p skipPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		name := msg.Metadata.Get(middleware.PoisonedHandlerKey)
		d, err := deliveryOf(name, msg)
		if err != nil {
			return err
		}
		reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey)
		// The handler's context may be the reason it failed; recording the
		// skip must not depend on it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), skipTimeout)
		done, err := p.cp.skip(ctx, d, firstLine(reason))
		cancel()
		if err != nil {
			return fmt.Errorf("record poison event %d: %w", d.seq, err)
		}
		if done {
			p.log.Error("projection skipped poison event", "projector", name, "seq", d.seq, "subject", d.subject, "reason", reason)
		}
	}
	return nil
}

// skipTimeout bounds recording a skip once the handler's context is gone.
const skipTimeout = 10 * time.Second

func (skipPublisher) Close() error { return nil }

// firstLine keeps a recovered panic's stack out of the table (it is logged).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
