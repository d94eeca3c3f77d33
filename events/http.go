package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// StreamHandler serves GET /v1/events/stream: the event log as
// Server-Sent Events, each data line one CloudEvents JSON envelope and
// each id its stream sequence (so a client resumes with Last-Event-ID).
// ?app=NAME narrows it to one app; ?after=SEQ starts after a sequence.
func (s *Store) StreamHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		filter := AllSubjects
		if app := r.URL.Query().Get("app"); app != "" {
			if !validToken(app) {
				http.Error(w, `{"error":"app: not a valid app name"}`, http.StatusBadRequest)
				return
			}
			filter = App(app).Filter()
		}
		var after uint64
		for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
			if v == "" {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				http.Error(w, `{"error":"after: not a sequence number"}`, http.StatusBadRequest)
				return
			}
			after = n
		}
		flusher, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, `{"error":"streaming unsupported"}`, http.StatusInternalServerError)
			return
		}
		// Read once before answering, so that a store that cannot be read
		// is an error status, not an empty stream.
		if _, err := s.LastSequence(r.Context(), filter); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": readError(err)})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		// An SSE comment marks the end of replay for clients that care.
		caughtUp := func() { fmt.Fprint(w, ": caught-up\n\n"); flusher.Flush() }
		err := s.Follow(r.Context(), filter, FollowOptions{AfterSeq: after, OnCaughtUp: caughtUp}, func(rec Recorded) error {
			body, err := json.Marshal(rec.Envelope)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", rec.Sequence, rec.Type, body); err != nil {
				return err
			}
			flusher.Flush()
			return nil
		})
		if err != nil && r.Context().Err() == nil {
			// Headers are out: the failure travels as an "error" event.
			body, _ := json.Marshal(map[string]string{"error": readError(err)})
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", body)
			flusher.Flush()
		}
	})
}

// readError is what a reader of the stream is told when reading failed.
func readError(err error) string {
	if errors.Is(err, ErrUnavailable) {
		return "event store unavailable (no quorum): try again"
	}
	return "read the event stream: " + err.Error()
}

// validToken reports whether s can be one NATS subject token.
func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c > 126 {
			return false
		}
	}
	return true
}
