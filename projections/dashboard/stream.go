package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

// streamEvent is one SSE message to a page: what it lists of an event.
type streamEvent struct {
	Seq     uint64 `json:"seq"`
	Time    string `json:"time"`
	Subject string `json:"subject"`
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
}

// stream serves GET /ui/stream[?app=NAME][&after=SEQ]: the events a page
// shows, as unnamed SSE messages with the stream sequence as id, so the
// browser's EventSource resumes after a reconnect with Last-Event-ID and
// misses nothing.
func (d *Dashboard) stream(w http.ResponseWriter, r *http.Request) {
	filter := events.AllSubjects
	if app := r.URL.Query().Get("app"); app != "" {
		if err := commands.ValidateAppName(app); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		filter = events.App(app).Filter()
	}
	var after uint64
	for _, v := range []string{r.URL.Query().Get("after"), r.Header.Get("Last-Event-ID")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			http.Error(w, fmt.Sprintf("after: %q is not a sequence number", v), http.StatusBadRequest)
			return
		}
		after = n
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()
	_ = d.cfg.Log.Follow(r.Context(), filter, events.FollowOptions{AfterSeq: after}, func(rec events.Recorded) error {
		row := rowOf(rec)
		body, err := json.Marshal(streamEvent{Seq: row.Seq, Time: row.Time.Format("15:04:05"),
			Subject: row.Subject, Kind: row.Kind, Summary: row.Summary})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", rec.Sequence, body); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	})
}
