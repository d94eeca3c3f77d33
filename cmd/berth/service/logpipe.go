package service

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/elastic"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/localstore"
	"github.com/berth-dev/berth/logpipe/logapi"
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

	logs, err := logapi.New(logapi.Config{Store: store, JS: js, MaxFollowers: cfg.Limits.MaxLogFollowers})
	if err != nil {
		return err
	}
	logs.Routes(mux)
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
