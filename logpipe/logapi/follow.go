package logapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/search"
)

// keepAlive is how often an idle follow writes an SSE comment, so a gone
// client is noticed and dropped.
const keepAlive = 15 * time.Second

// errTooMany answers a follow beyond MaxFollowers.
type errTooMany struct{ max int }

func (e errTooMany) Error() string {
	return fmt.Sprintf("too many log follows on this server (limit %d), retry later", e.max)
}
func (errTooMany) HTTPStatus() int { return http.StatusTooManyRequests }

// follow streams an app's new records as Server-Sent Events. It starts at
// the tail (the CLI searches for what came before), costs one ordered consumer with a bounded
// buffer, and a reader that does not take a write within WriteTimeout is
// dropped.
func (a *API) follow(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	select {
	case a.followers <- struct{}{}:
		defer func() { <-a.followers }()
	default:
		w.Header().Set("Retry-After", "5")
		httpjson.WriteError(w, r, errTooMany{max: a.cfg.MaxFollowers})
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	tail, err := buffer.Follow(ctx, a.cfg.JS, q.App, time.Time{})
	if err != nil {
		a.cfg.Logger.Error("log follow failed", "app", q.App, "err", err)
		httpjson.WriteError(w, r, ErrUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	send := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(a.cfg.WriteTimeout))
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if !send(": following\n\n") {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case rec, ok := <-tail.C:
			if !ok {
				return
			}
			if !matches(q, rec.Instance, rec.Message) {
				continue
			}
			body, _ := json.Marshal(rec)
			if !send("data: " + string(body) + "\n\n") {
				return
			}
		case <-tick.C:
			if !send(": keep-alive\n\n") {
				return
			}
		}
	}
}

func matches(q search.Query, instance, msg string) bool {
	if q.Instance != "" && instance != q.Instance {
		return false
	}
	return q.Text == "" || containsWords(msg, q.Text)
}

// containsWords reports whether every word of text occurs in msg,
// ignoring case, as search does.
func containsWords(msg, text string) bool {
	lower := strings.ToLower(msg)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if !strings.Contains(lower, w) {
			return false
		}
	}
	return true
}
