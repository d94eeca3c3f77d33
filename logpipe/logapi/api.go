package logapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

// ErrUnavailable: the log store could not answer; what failed goes to the
// server log, not to the client.
var ErrUnavailable = errors.New("log search unavailable, retry")

func init() { httpjson.Map(ErrUnavailable, http.StatusServiceUnavailable) }

// Config of the log endpoints.
type Config struct {
	Store search.Searcher
	// JS reads the log buffer for follows.
	JS jetstream.JetStream
	// MaxFollowers caps concurrent follows on this server (429 beyond);
	// default 64.
	MaxFollowers int
	// WriteTimeout drops a follower that has not taken a write within it,
	// rather than buffering for it without end; default 10s.
	WriteTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxFollowers == 0 {
		c.MaxFollowers = 64
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("logapi: Store is required"))
	}
	if c.JS == nil {
		errs = append(errs, errors.New("logapi: JS is required"))
	}
	if c.MaxFollowers < 1 {
		errs = append(errs, fmt.Errorf("logapi: MaxFollowers %d is below 1", c.MaxFollowers))
	}
	if c.WriteTimeout <= 0 {
		errs = append(errs, fmt.Errorf("logapi: WriteTimeout %s is not positive", c.WriteTimeout))
	}
	return errors.Join(errs...)
}

// API serves the log endpoints.
type API struct {
	cfg       Config
	followers chan struct{}
}

// New checks cfg and returns the API.
func New(cfg Config) (*API, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &API{cfg: cfg, followers: make(chan struct{}, cfg.MaxFollowers)}, nil
}

// Routes registers GET /v1/apps/{app}/logs and /logs/follow on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/apps/{app}/logs", a.search)
	mux.HandleFunc("GET /v1/apps/{app}/logs/follow", a.follow)
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r)
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	recs, err := a.cfg.Store.Search(r.Context(), q)
	if err != nil {
		if r.Context().Err() == nil {
			a.cfg.Logger.Error("log search failed", "app", q.App, "err", err)
			err = ErrUnavailable
		}
		httpjson.WriteError(w, r, err)
		return
	}
	if recs == nil {
		recs = []record.Record{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"records": recs})
}
