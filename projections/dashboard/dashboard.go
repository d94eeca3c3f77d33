package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

// Reads is what the pages read from the read models; *readapi.API has it.
type Reads interface {
	Apps(ctx context.Context) ([]readapi.App, error)
	App(ctx context.Context, name string) (readapi.App, error)
	Hosts(ctx context.Context) ([]readapi.Host, error)
	History(ctx context.Context, app string, q readapi.HistoryQuery) ([]readapi.Event, error)
	Releases(ctx context.Context, app string) ([]readapi.Release, error)
	LatestRollout(ctx context.Context, app string, release int) (readapi.Rollout, error)
}

// EventLog is what the time slider and the live stream need of the event
// store; *events.Store has it.
type EventLog interface {
	Load(ctx context.Context, agg events.Aggregate, afterSeq uint64) ([]events.Recorded, uint64, error)
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
}

// Commands runs actions through the same command path as the API;
// *commands.Handler has it.
type Commands interface {
	Execute(ctx context.Context, app, idempotencyKey string, decide commands.Decider) (commands.Result, error)
}

// Config wires the dashboard.
type Config struct {
	// Token is the API token; empty leaves the pages open, as the API is.
	Token    string
	Reads    Reads
	DB       Querier
	Log      EventLog
	Commands Commands
	// NATS feeds the charts (core NATS metrics) and holds the one-time
	// sign-in codes (a KV bucket with Replicas copies).
	NATS     *nats.Conn
	Replicas int
	// API answers the log search and follow the app page uses
	// (GET /v1/apps/{app}/logs[/follow]); nil leaves logs off the page.
	API    http.Handler
	Logger *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
}

// Validate reports every missing dependency at once.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct {
		name    string
		missing bool
	}{{"Reads", c.Reads == nil}, {"DB", c.DB == nil}, {"Log", c.Log == nil},
		{"Commands", c.Commands == nil}, {"NATS", c.NATS == nil}} {
		if f.missing {
			errs = append(errs, errors.New("dashboard config: "+f.name+" is required"))
		}
	}
	return errors.Join(errs...)
}

// Dashboard serves the web console.
type Dashboard struct {
	cfg     Config
	auth    auth
	links   *links
	metrics *Metrics
	pages   *http.ServeMux
	stop    func()
	log     *slog.Logger
}

// New prepares the dashboard and starts collecting metrics; Close stops.
func New(ctx context.Context, cfg Config) (*Dashboard, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, err
	}
	l, err := ensureLinks(ctx, js, cfg.Replicas, cfg.Now)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{cfg: cfg, auth: newAuth(cfg.Token, cfg.Now), links: l, metrics: NewMetrics(),
		log: cfg.Logger.With("component", "dashboard")}
	if d.stop, err = d.metrics.Subscribe(cfg.NATS); err != nil {
		return nil, err
	}
	d.pages = d.routes()
	return d, nil
}

// Close stops collecting metrics.
func (d *Dashboard) Close() { d.stop() }

// Metrics is the dashboard's sample store (tests feed it directly).
func (d *Dashboard) Metrics() *Metrics { return d.metrics }

func (d *Dashboard) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticFiles()))
	mux.HandleFunc("GET /login", d.loginForm)
	mux.HandleFunc("POST /login", d.login)
	mux.HandleFunc("GET /login/link", d.redeemLink)
	mux.HandleFunc("POST /logout", d.logout)
	mux.HandleFunc("GET /{$}", d.page(d.overview))
	mux.HandleFunc("GET /apps/{app}", d.page(d.appPage))
	mux.HandleFunc("GET /hosts", d.page(d.hostsPage))
	mux.HandleFunc("GET /events", d.page(d.eventsPage))
	mux.HandleFunc("GET /ui/stream", d.signedIn(d.stream))
	if d.cfg.API != nil {
		mux.HandleFunc("GET /ui/logs/{app}", d.signedIn(d.logs(false)))
		mux.HandleFunc("GET /ui/logs/{app}/follow", d.signedIn(d.logs(true)))
	}
	mux.HandleFunc("POST /apps/{app}/scale", d.action(d.scale))
	mux.HandleFunc("POST /apps/{app}/instances/{instance}/health-fail", d.action(d.healthFail))
	mux.HandleFunc("POST /apps/{app}/rollout/{action}", d.action(d.rolloutAction))
	mux.HandleFunc("POST /apps/{app}/rollback", d.action(d.rollback))
	return mux
}

// APIRoutes registers the dashboard's API endpoint (behind the API's own
// bearer check): POST /v1/dashboard/links issues a one-time sign-in link.
func (d *Dashboard) APIRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/dashboard/links", d.issueLink)
}

// Front serves the dashboard's paths itself, each checking who is asking
// with a session cookie or the bearer token, and passes every other
// request to api.
func (d *Dashboard) Front(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := d.pages.Handler(r); pattern != "" {
			d.pages.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
