package projections

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// isPoison tells which failures will fail again on every redelivery, so
// retrying would wedge the projector: a projector that can't fold the
// event (an error or a panic), or data Postgres refuses (SQLSTATE classes
// 22 data exception and 23 integrity violation, e.g. a NUL byte in a
// string). Such an event is recorded in projection_skipped and passed
// over, in the transaction that advances the checkpoint past it.
// Everything else (connection loss, serialization failures, a missing
// table, a gap) is transient and retried until it succeeds, because
// skipping would corrupt the read model.
func isPoison(err error) bool {
	if errors.Is(err, errUnfoldable) {
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

// firstLine keeps a stack or a multi-line error out of the table (it is
// logged) and the NUL bytes Postgres refuses in text.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\x00`), "?")
}
