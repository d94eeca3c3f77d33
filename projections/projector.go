package projections

import (
	"github.com/berth-dev/berth/events"
)

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

func stmt(sql string, args ...any) statement { return statement{sql: sql, args: args} }

// projector folds events into the tables it owns. fold is pure: it turns
// one event into the statements that apply it (none when the event does
// not concern the projector); the caller runs them in one transaction
// with the checkpoint.
type projector struct {
	name   string
	tables []string
	fold   func(r events.Recorded) ([]statement, error)
}

// all lists every projector; Run starts a follow loop for each.
func all() []projector {
	return []projector{apps, instances, hosts, endpoints, history, releases, rollouts, hooksProj}
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
