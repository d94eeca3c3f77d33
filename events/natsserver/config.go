package natsserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats-server/v2/server"
)

// RandomPort asks the server to pick a free port.
const RandomPort = -1

// Config describes one embedded server.
type Config struct {
	// DataDir is the JetStream store; reusing it keeps streams across restarts.
	DataDir string
	// Host to listen on; empty means 127.0.0.1.
	Host string
	// Port for clients; RandomPort (-1) picks a free one, 0 means 4222.
	Port int
	// SyncAlways fsyncs the store before every publish is acknowledged, so an
	// acknowledged event survives power loss, at the cost of throughput.
	SyncAlways bool
	// ServerName identifies the server; empty means "berth".
	ServerName string
	// Logger receives the server's log; nil keeps it silent.
	Logger *slog.Logger
	// Users, when set, are the only clients let in, each with its
	// permissions (natsauth builds them). Without users the server is
	// open: for tests only; berth server and berth dev always set them.
	Users []*server.NkeyUser
	// TLS, when set, makes clients speak TLS; with ClientAuth
	// RequireAndVerifyClientCert they also need a certificate its
	// ClientCAs signed.
	TLS *tls.Config
}

func (c *Config) setDefaults() {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.ServerName == "" {
		c.ServerName = "berth"
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is required"))
	}
	if c.Port < RandomPort || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d out of range", c.Port))
	}
	return errors.Join(errs...)
}
