package projections

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berth-dev/berth/events"
)

// execer is what a projector needs of the transaction it runs in.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// projector folds events into the tables it owns. apply runs inside the
// transaction that also advances the projector's checkpoint; events it
// has no use for are ignored.
type projector struct {
	name   string
	tables []string
	apply  func(ctx context.Context, db execer, r events.Recorded) error
}

// all lists every projector; Run starts one handler each.
func all() []projector {
	return []projector{apps, instances, hosts, endpoints, history}
}

// seq converts a stream sequence for a bigint column.
func seq(r events.Recorded) int64 { return int64(r.Sequence) }

// nonNil keeps NOT NULL array columns from receiving NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
