package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/tokens"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/projections"
	"github.com/berth-dev/berth/workers/webhooks"
)

// ServerConfig configures the control plane.
type ServerConfig struct {
	// API is the control API's listen address.
	API   string
	Token string
	// NATSURL points at an external NATS cluster; empty embeds a server,
	// which lets in only the keys under <DataDir>/credentials.
	NATSURL string
	// NATSCreds authenticates to the external cluster: an nkey seed or a
	// .creds file (empty: connect without credentials).
	NATSCreds string
	// NATSTLS: on the embedded server its certificate (which also serves
	// the server's own client, so it needs server and client usage) and
	// the CA clients' certificates must chain to; towards an external
	// cluster the client side.
	NATSTLS natsauth.TLSFiles
	// NATSListen is the embedded server's client address.
	NATSListen string
	// DataDir holds the embedded NATS server's JetStream store.
	DataDir string
	// SyncAlways fsyncs every JetStream write before acknowledging it
	// (embedded server only; on a cluster set sync_interval: always).
	SyncAlways bool
	// StreamReplicas is the replication factor of the event and log
	// streams and of the KV buckets.
	StreamReplicas int
	DatabaseURL    string

	// GatewayListen serves user traffic; empty disables the gateway.
	GatewayListen string
	GatewayDomain string
	GatewayAdmin  string

	// SyslogListen is a central syslog intake (UDP and TCP) for senders
	// without a host relay; empty runs none. The indexer, search and
	// follow run either way.
	SyslogListen        string
	ElasticsearchURL    string
	ElasticsearchPrefix string

	// Hooks tunes webhook delivery (NATSURL is filled in).
	Hooks  webhooks.Config
	Limits Limits
}

func (c *ServerConfig) setDefaults() {
	if c.API == "" {
		c.API = ":7070"
	}
	if c.NATSListen == "" {
		c.NATSListen = "127.0.0.1:4222"
	}
	if c.DataDir == "" {
		c.DataDir = ".berth"
	}
	if c.StreamReplicas == 0 {
		c.StreamReplicas = 1
	}
	if c.GatewayDomain == "" {
		c.GatewayDomain = "localhost"
	}
	if c.ElasticsearchPrefix == "" {
		c.ElasticsearchPrefix = "berth-logs"
	}
	c.Limits.setDefaults()
}

// Validate reports every problem at once.
func (c ServerConfig) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("database URL is required (--database-url or BERTH_DATABASE_URL)"))
	}
	if _, _, err := net.SplitHostPort(c.API); err != nil {
		errs = append(errs, fmt.Errorf("api address %q: %w", c.API, err))
	}
	if c.NATSURL == "" {
		if _, _, err := net.SplitHostPort(c.NATSListen); err != nil {
			errs = append(errs, fmt.Errorf("nats listen address %q: %w", c.NATSListen, err))
		}
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("stream replicas %d: use 1..5", c.StreamReplicas))
	}
	errs = append(errs, c.Limits.Validate())
	return errors.Join(errs...)
}

// Server is a running control plane.
type Server struct {
	NATSURL          string
	APIAddr          net.Addr
	GatewayAddr      net.Addr
	GatewayAdminAddr net.Addr
	SyslogAddr       string
	// DataDir is the server's; the embedded NATS server's keys are in its
	// credentials/ (see natsauth.Directory).
	DataDir string
	domain  string

	Store   *events.Store
	Handler *commands.Handler
	NC      *nats.Conn
	DB      *pgxpool.Pool
	// natsOpts authenticate (and secure) every connection the server
	// makes to the bus: the bus is closed, so each needs them.
	natsOpts []nats.Option

	Projections *projections.Runner

	cancel  context.CancelFunc
	group   group
	cleanup []func()
}

// StartServer starts the control plane and returns once it serves.
func StartServer(ctx context.Context, cfg ServerConfig) (_ *Server, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Server{cancel: cancel, domain: cfg.GatewayDomain, DataDir: cfg.DataDir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	s.NATSURL = cfg.NATSURL
	var natsOpts []nats.Option
	if s.NATSURL == "" {
		host, port, _ := net.SplitHostPort(cfg.NATSListen)
		var p int
		fmt.Sscan(port, &p)
		if p == 0 {
			p = natsserver.RandomPort
		}
		nsCfg := natsserver.Config{
			DataDir: filepath.Join(cfg.DataDir, "nats"), Host: host, Port: p,
			SyncAlways: cfg.SyncAlways, ServerName: "berth",
		}
		if cfg.NATSTLS.Enabled() {
			if nsCfg.TLS, err = cfg.NATSTLS.ServerTLS(); err != nil {
				return nil, err
			}
		}
		ns, auth, err := s.closedNATS(ctx, nsCfg, credentialsDir(cfg.DataDir))
		if err != nil {
			return nil, fmt.Errorf("start embedded NATS: %w", err)
		}
		s.cleanup = append(s.cleanup, ns.Shutdown)
		s.NATSURL = ns.ClientURL()
		natsOpts = append(natsOpts, auth)
	} else {
		auth, err := natsAuth(cfg.NATSCreds)
		if err != nil {
			return nil, err
		}
		natsOpts = append(natsOpts, auth...)
	}
	tlsOpts, err := cfg.NATSTLS.ClientOptions()
	if err != nil {
		return nil, err
	}
	natsOpts = append(natsOpts, tlsOpts...)
	s.natsOpts = natsOpts
	s.NC, err = nats.Connect(s.NATSURL, append(natsOpts, nats.Name("berth-server"), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return nil, fmt.Errorf("connect NATS %s: %w", s.NATSURL, err)
	}
	s.cleanup = append(s.cleanup, s.NC.Close)
	js, err := jetstream.New(s.NC)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s.Store, err = events.OpenStore(ctx, js, events.StoreConfig{Replicas: cfg.StreamReplicas, Source: "berth/server"})
	if err != nil {
		return nil, err
	}
	s.DB, err = pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	s.cleanup = append(s.cleanup, s.DB.Close)
	s.Handler = commands.NewHandler(s.Store, "berth/api")
	if err := s.claimDomains(ctx, js, cfg.GatewayDomain); err != nil {
		return nil, err
	}
	if err := s.containerPolicy(cfg.Limits); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	s.Handler.Routes(mux)
	streams, err := s.eventStream(ctx, cfg.Limits)
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /v1/events/stream", streams)
	reg := tokens.NewRegistry(cfg.Token)
	s.group.Go(ctx, "token grants", func(ctx context.Context) error { return reg.Run(ctx, s.Store) })
	tokens.NewAPI(s.Store, reg).Routes(mux)
	mux.Handle("GET /v1/audit", tokens.Audit(s.Store))
	if err := s.startRoles(ctx, cfg, mux); err != nil {
		return nil, err
	}
	front, err := s.startDashboard(ctx, cfg, mux)
	if err != nil {
		return nil, err
	}
	addr, stop, err := serveAPI(ctx, cfg.API, reg, mux, front, map[string]readiness{
		"nats": func(context.Context) error {
			if !s.NC.IsConnected() {
				return errors.New("not connected")
			}
			return nil
		},
		"postgres": func(ctx context.Context) error { return s.DB.Ping(ctx) },
		// The event stream has a leader hearing from a majority: commands can be stored.
		"events": s.Store.Writable,
	})
	if err != nil {
		return nil, fmt.Errorf("listen API on %s: %w", cfg.API, err)
	}
	s.cleanup = append(s.cleanup, stop)
	s.APIAddr = addr
	slog.Info("berth server ready", "api", addr.String(), "nats", s.NATSURL)
	return s, nil
}

// startRoles starts everything beyond the API: read models, workers,
// gateway and log pipeline.
func (s *Server) startRoles(ctx context.Context, cfg ServerConfig, mux *http.ServeMux) error {
	if err := s.startProjections(ctx, cfg, mux); err != nil {
		return err
	}
	if err := s.startWorkers(ctx, cfg); err != nil {
		return err
	}
	if err := s.startGateway(ctx, cfg); err != nil {
		return err
	}
	if err := s.startHooks(ctx, cfg, mux); err != nil {
		return err
	}
	return s.startLogpipe(ctx, cfg, mux)
}

// PrintAddresses tells a person where everything listens.
func (s *Server) PrintAddresses(w io.Writer) {
	fmt.Fprintf(w, "berth API        http://%s\n", s.APIAddr)
	fmt.Fprintf(w, "dashboard        http://%s/  (sign in: berth dashboard)\n", s.APIAddr)
	if s.GatewayAddr != nil {
		fmt.Fprintf(w, "gateway          http://%s  (apps at http://APP.%s:%d)\n", s.GatewayAddr, s.domain, s.GatewayAddr.(*net.TCPAddr).Port)
	}
	if s.GatewayAdminAddr != nil {
		fmt.Fprintf(w, "gateway metrics  http://%s/metrics\n", s.GatewayAdminAddr)
	}
	if s.SyslogAddr != "" {
		fmt.Fprintf(w, "syslog intake    %s (udp+tcp)\n", s.SyslogAddr)
	}
	fmt.Fprintf(w, "NATS             %s\n", s.NATSURL)
}

// Close stops every component, newest first.
func (s *Server) Close() {
	s.cancel()
	s.group.Wait()
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
	s.cleanup = nil
}
