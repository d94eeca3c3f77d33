package tokens

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// AuditEntry is one event a request caused.
type AuditEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Type    string    `json:"type"`
	Subject string    `json:"subject"`
}

// Audit serves GET /v1/audit[?actor=NAME][&limit=N]: the newest N
// (default 100) events caused by API requests, oldest first. It reads the
// log from the start: fine for an occasional question, not for a feed.
func Audit(log Follower) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor := r.URL.Query().Get("actor")
		limit := 100
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 10000 {
				httpjson.WriteError(w, r, invalid("limit", "%q: want 1..10000", s))
				return
			}
			limit = n
		}
		out, err := audit(r.Context(), log, actor, limit)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, out)
	}
}

func audit(ctx context.Context, log Follower, actor string, limit int) ([]AuditEntry, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := []AuditEntry{}
	err := log.Follow(ctx, events.AllSubjects, events.FollowOptions{OnCaughtUp: cancel}, func(r events.Recorded) error {
		if r.Actor == "" || (actor != "" && r.Actor != actor) {
			return nil
		}
		out = append(out, AuditEntry{Seq: r.Sequence, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject})
		if len(out) > limit {
			out = out[1:]
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	return out, nil
}
