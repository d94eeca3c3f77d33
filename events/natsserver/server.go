package natsserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds start-up, which includes recovering JetStream streams.
const readyTimeout = time.Minute

// Server is a running embedded NATS server.
type Server struct {
	ns   *server.Server
	mu   sync.Mutex
	opts *server.Options
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("natsserver config: %w", err)
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true, // signals belong to the embedding process
		Nkeys:      cfg.Users,
	}
	if cfg.TLS != nil {
		opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, cfg.TLS, 5
		opts.TLSVerify = cfg.TLS.ClientAuth == tls.RequireAndVerifyClientCert
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server: %w", err)
	}
	if cfg.Logger != nil {
		debug := cfg.Logger.Enabled(context.Background(), slog.LevelDebug)
		ns.SetLogger(slogLogger{cfg.Logger}, debug, false)
	}
	ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server %s not ready after %s", cfg.ServerName, readyTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server %s: jetstream did not start", cfg.ServerName)
	}
	return &Server{ns: ns, opts: opts}, nil
}

// SetUsers replaces the users let in without a restart: new ones can
// connect, removed ones are disconnected. The server must have been
// started with users.
func (s *Server) SetUsers(users []*server.NkeyUser) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.opts.Nkeys) == 0 {
		return errors.New("natsserver: started without users, so open to everyone")
	}
	next := s.opts.Clone()
	next.Nkeys = users
	if err := s.ns.ReloadOptions(next); err != nil {
		return fmt.Errorf("reload users: %w", err)
	}
	s.opts = next
	return nil
}

// ClientURL is the nats:// URL clients connect to.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and waits until it has. Safe to call twice.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// NATS exposes the embedded server for monitoring and advanced tests.
func (s *Server) NATS() *server.Server { return s.ns }
