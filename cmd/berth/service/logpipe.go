package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/elastic"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/localstore"
	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

// logStore indexes records and searches them: Elasticsearch in
// production, the Postgres table on one machine.
type logStore interface {
	buffer.Indexer
	search.Searcher
}

// startLogpipe runs the indexer from the JetStream buffer into the store,
// serves search and follow, and, when SyslogListen is set, a central
// syslog intake for senders that have no relay of their own.
func (s *Server) startLogpipe(ctx context.Context, cfg ServerConfig, mux *http.ServeMux) error {
	js, err := jetstream.New(s.NC)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{Replicas: cfg.StreamReplicas}); err != nil {
		return fmt.Errorf("log buffer: %w", err)
	}
	if cfg.SyslogListen != "" {
		if err := s.startIntake(ctx, cfg.SyslogListen, js); err != nil {
			return err
		}
	}

	var store logStore
	if cfg.ElasticsearchURL != "" {
		es, err := elastic.New(elastic.Config{URL: cfg.ElasticsearchURL, Prefix: cfg.ElasticsearchPrefix})
		if err != nil {
			return fmt.Errorf("elasticsearch: %w", err)
		}
		if err := es.EnsureTemplate(ctx); err != nil {
			return fmt.Errorf("elasticsearch template: %w", err)
		}
		s.cleanup = append(s.cleanup, es.Close)
		store = es
	} else {
		store = localstore.New(s.DB)
	}
	// A short fetch wait keeps a quiet app's lines searchable within a
	// fraction of a second; busy apps fill batches before it expires.
	cons, err := buffer.NewConsumer(js, store, buffer.ConsumerConfig{FetchWait: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	s.group.Go(ctx, "log-indexer", cons.Run)

	mux.HandleFunc("GET /v1/apps/{app}/logs", func(w http.ResponseWriter, r *http.Request) {
		q, err := logQuery(r)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		recs, err := store.Search(r.Context(), q)
		if err != nil {
			httpjson.WriteError(w, r, fmt.Errorf("search logs: %w", err))
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"records": nonNilRecords(recs)})
	})
	mux.HandleFunc("GET /v1/apps/{app}/logs/follow", func(w http.ResponseWriter, r *http.Request) {
		q, err := logQuery(r)
		if err != nil {
			httpjson.WriteError(w, r, err)
			return
		}
		followLogs(w, r, js, q)
	})
	return nil
}

// startIntake receives syslog at addr (UDP and TCP), enriched from the
// event history, onto the buffer.
func (s *Server) startIntake(ctx context.Context, addr string, js jetstream.JetStream) error {
	pub, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		return err
	}
	dir := enrich.NewCache()
	s.group.Go(ctx, "log-enrich-directory", func(ctx context.Context) error {
		return s.Store.Follow(ctx, events.SubjectPrefix+".app.>", events.FollowOptions{}, func(r events.Recorded) error {
			switch e := r.Event.(type) {
			case events.InstanceScheduled:
				dir.Set(e.Instance, enrich.InstanceInfo{App: e.App, Host: e.Host})
			case events.InstanceStopped:
				dir.Delete(e.Instance)
			}
			return nil
		})
	})
	in, err := intake.Listen(intake.Config{TCPAddr: addr, UDPAddr: addr}, enrich.New(dir).Wrap(pub))
	if err != nil {
		return fmt.Errorf("syslog intake on %s: %w", addr, err)
	}
	s.SyslogAddr = in.TCPAddr().String()
	s.group.Go(ctx, "syslog-intake", in.Run)
	return nil
}

func logQuery(r *http.Request) (search.Query, error) {
	app := r.PathValue("app")
	if err := commands.ValidateAppName(app); err != nil {
		return search.Query{}, err
	}
	v := r.URL.Query()
	q := search.Query{App: app, Instance: v.Get("instance"), Text: v.Get("q")}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, httpjson.BadRequest{Msg: fmt.Sprintf("%s: %q is not an RFC 3339 time", name, s)}
			}
			*dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		if _, err := fmt.Sscan(s, &q.Limit); err != nil {
			return q, httpjson.BadRequest{Msg: fmt.Sprintf("limit: %q is not a number", s)}
		}
	}
	if err := q.Validate(); err != nil {
		return q, httpjson.BadRequest{Msg: err.Error()}
	}
	return q, nil
}

// followLogs streams an app's new log records as Server-Sent Events.
func followLogs(w http.ResponseWriter, r *http.Request, js jetstream.JetStream, q search.Query) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		httpjson.WriteError(w, r, fmt.Errorf("streaming unsupported"))
		return
	}
	tail, err := buffer.Follow(r.Context(), js, q.App, time.Time{})
	if err != nil {
		httpjson.WriteError(w, r, fmt.Errorf("follow logs: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	for rec := range tail.C {
		if q.Instance != "" && rec.Instance != q.Instance {
			continue
		}
		if q.Text != "" && !containsWords(rec.Message, q.Text) {
			continue
		}
		body, _ := json.Marshal(rec)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", body); err != nil {
			return
		}
		flusher.Flush()
	}
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

func nonNilRecords(recs []record.Record) []record.Record {
	if recs == nil {
		return []record.Record{}
	}
	return recs
}
