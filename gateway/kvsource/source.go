package kvsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/gateway/routing"
)

// Config tunes a Source. The zero value is usable.
type Config struct {
	// RetryMax caps the wait between attempts to (re)start a watch.
	RetryMax time.Duration
	// ReconnectPoll is how often the connection is checked for a
	// reconnect, after which both buckets are watched afresh.
	ReconnectPoll time.Duration
	Logger        *slog.Logger
}

func (c *Config) setDefaults() {
	if c.RetryMax == 0 {
		c.RetryMax = 2 * time.Second
	}
	if c.ReconnectPoll == 0 {
		c.ReconnectPoll = 250 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if c.RetryMax < 0 {
		errs = append(errs, fmt.Errorf("retry max %v is negative", c.RetryMax))
	}
	if c.ReconnectPoll < 0 {
		errs = append(errs, fmt.Errorf("reconnect poll %v is negative", c.ReconnectPoll))
	}
	return errors.Join(errs...)
}

// Source watches both buckets and hands a fresh table to its consumer after
// every change. While NATS is unreachable the consumer keeps the last table.
type Source struct {
	js  jetstream.JetStream
	cfg Config

	mu        sync.Mutex
	endpoints map[string]routing.Endpoint // bucket key -> value
	gone      map[string]bool             // apps whose endpoint keys were deleted
	routes    map[string]routing.Route    // app -> value
	ready     map[string]bool             // bucket -> initial values loaded
	problems  map[string]bool             // last reported, to log each once
}

// New returns a source reading through js.
func New(js jetstream.JetStream, cfg Config) (*Source, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kvsource config: %w", err)
	}
	return &Source{
		js:        js,
		cfg:       cfg,
		endpoints: map[string]routing.Endpoint{},
		gone:      map[string]bool{},
		routes:    map[string]routing.Route{},
		ready:     map[string]bool{},
		problems:  map[string]bool{},
	}, nil
}

// Run watches until ctx ends, calling update with each new table. It
// returns nil on cancellation; connection trouble is retried, not returned.
func (s *Source) Run(ctx context.Context, update func(*routing.Table)) error {
	var wg sync.WaitGroup
	for _, b := range []bucket{s.endpointsBucket(), s.routesBucket()} {
		wg.Go(func() { s.watchLoop(ctx, b, update) })
	}
	wg.Wait()
	return nil
}

// rebuild turns the current bucket contents into a table. Must hold s.mu.
func (s *Source) rebuild(update func(*routing.Table)) {
	// Until the endpoints are loaded a table would route nothing; serving
	// 404s for every app at start-up or after a re-watch is worse than
	// waiting for the initial values.
	if !s.ready[events.BucketEndpoints] {
		return
	}
	routes := make([]routing.Route, 0, len(s.routes)+len(s.gone))
	for _, r := range s.routes {
		routes = append(routes, r)
	}
	for app := range s.gone {
		routes = append(routes, routing.Route{App: app})
	}
	endpoints := make([]routing.Endpoint, 0, len(s.endpoints))
	for _, ep := range s.endpoints {
		endpoints = append(endpoints, ep)
	}
	table, problems := routing.Build(routes, endpoints)

	seen := map[string]bool{}
	for _, p := range problems {
		msg := p.Error()
		seen[msg] = true
		if !s.problems[msg] {
			s.cfg.Logger.Warn("routing entry skipped", "err", p)
		}
	}
	s.problems = seen
	update(table)
}

// appOfKey is the app part of an endpoints key "<app>.<instance>".
func appOfKey(key string) string {
	app, _, _ := strings.Cut(key, ".")
	return app
}

func decode[T any](e jetstream.KeyValueEntry) (T, error) {
	var v T
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, fmt.Errorf("decode %s/%s: %w", e.Bucket(), e.Key(), err)
	}
	return v, nil
}
