package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// StreamConfig bounds what the event stream's clients may cost.
type StreamConfig struct {
	// MaxStreams caps concurrent streams (429 beyond); default 64.
	MaxStreams int
	// WriteTimeout drops a client that has not taken a write within it,
	// rather than buffering for it; default 10s.
	WriteTimeout time.Duration
	// Window is how many events a stream fetches ahead of its client;
	// default 32.
	Window int
	// KeepAlive is how often an idle stream writes a comment, so a gone
	// client is noticed; default 15s.
	KeepAlive time.Duration
}

func (c *StreamConfig) setDefaults() {
	if c.MaxStreams == 0 {
		c.MaxStreams = 64
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Window == 0 {
		c.Window = 32
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = 15 * time.Second
	}
}

// StreamHandler serves GET /v1/events/stream: the event log as
// Server-Sent Events, each data line one CloudEvents JSON envelope and
// each id its stream sequence. A stream starts at the tail unless the
// client asks for more: Last-Event-ID or ?after=SEQ (0: from the start)
// resumes after a sequence, ?since= (RFC 3339 time or a duration like
// 10m) starts at a time. ?app=NAME narrows it to one app.
//
// A client costs bounded memory whatever the history's size (history is
// paged through Window events at a time), a client that stops reading is
// dropped, and at most MaxStreams run at once.
func (s *Store) StreamHandler(cfg StreamConfig) http.Handler {
	cfg.setDefaults()
	slots := make(chan struct{}, cfg.MaxStreams)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		filter, opts, tail, err := streamStart(r)
		if err != nil {
			writeStreamError(w, http.StatusBadRequest, err.Error())
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			w.Header().Set("Retry-After", "5")
			writeStreamError(w, http.StatusTooManyRequests,
				fmt.Sprintf("too many event streams on this server (limit %d), retry later", cfg.MaxStreams))
			return
		}
		// Read once before answering (the tail's position, or just whether
		// the store can be read), so that a store that cannot be read is an
		// error status, not an empty stream.
		last, err := s.LastSequence(r.Context(), filter)
		if err != nil {
			slog.Error("event stream", "err", err)
			w.Header().Set("Retry-After", "1")
			writeStreamError(w, http.StatusServiceUnavailable, readError(err))
			return
		}
		if tail {
			opts.AfterSeq = last
		}
		opts.Window = cfg.Window
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		sw := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: cfg.WriteTimeout, fail: cancel}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if sw.send(": streaming\n\n") != nil {
			return
		}
		stop := sw.keepAlive(cfg.KeepAlive)
		defer stop()
		// An SSE comment marks the end of replay for clients that care.
		opts.OnCaughtUp = func() { _ = sw.send(": caught-up\n\n") }
		err = s.Follow(ctx, filter, opts, func(rec Recorded) error {
			body, err := json.Marshal(rec.Envelope)
			if err != nil {
				return err
			}
			return sw.send(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", rec.Sequence, rec.Type, body))
		})
		if err != nil && ctx.Err() == nil {
			// Headers are out: the failure travels as an "error" event.
			body, _ := json.Marshal(map[string]string{"error": readError(err)})
			_ = sw.send(fmt.Sprintf("event: error\ndata: %s\n\n", body))
		}
	})
}

// streamStart reads the filter and starting point of a stream request;
// tail is true when the client asked for no history.
func streamStart(r *http.Request) (filter string, opts FollowOptions, tail bool, err error) {
	filter = AllSubjects
	q := r.URL.Query()
	if app := q.Get("app"); app != "" {
		if !validToken(app) {
			return "", opts, false, errors.New("app: not a valid app name")
		}
		filter = App(app).Filter()
	}
	resume := false
	for _, v := range []string{r.Header.Get("Last-Event-ID"), q.Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return "", opts, false, errors.New("after: not a sequence number")
		}
		opts.AfterSeq, resume = n, true
	}
	if resume {
		return filter, opts, false, nil // after=0 is the whole history
	}
	v := q.Get("since")
	if v == "" {
		return filter, opts, true, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		opts.Since = time.Now().Add(-d)
	} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		opts.Since = t
	} else {
		return "", opts, false, errors.New("since: not an RFC 3339 time or a duration like 10m")
	}
	return filter, opts, false, nil
}

// sseWriter writes to one client under a per-write deadline; writes from
// the follow and the keep-alive are serialised.
type sseWriter struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	// fail ends the stream when a write fails: the client is gone or
	// too slow, and nothing is kept for it.
	fail func()
	err  error
}

func (sw *sseWriter) send(s string) error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.err != nil {
		return sw.err
	}
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout))
	if _, err := fmt.Fprint(sw.w, s); err != nil {
		sw.err = err
	} else {
		sw.err = sw.rc.Flush()
	}
	if sw.err != nil {
		sw.fail()
	}
	return sw.err
}

func (sw *sseWriter) keepAlive(every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = sw.send(": keep-alive\n\n")
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func writeStreamError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// readError is what a reader of the stream is told when reading failed.
func readError(err error) string {
	if errors.Is(err, ErrUnavailable) {
		return "event store unavailable (no quorum): try again"
	}
	return "event store unavailable, retry"
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
