package service

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natsserver"
)

// credentialsDir is where the embedded server's NATS keys live.
func credentialsDir(dataDir string) natsauth.Directory {
	return natsauth.Directory{Dir: filepath.Join(dataDir, "credentials")}
}

// closedNATS starts the embedded server letting in only the users of the
// credentials directory, and keeps their list current while ctx lives.
// It returns the server and the option the server's own clients connect
// with.
func (s *Server) closedNATS(ctx context.Context, cfg natsserver.Config, dir natsauth.Directory) (*natsserver.Server, nats.Option, error) {
	if err := dir.EnsureServer(); err != nil {
		return nil, nil, fmt.Errorf("server nats key: %w", err)
	}
	users, err := dir.Users()
	if err != nil {
		return nil, nil, fmt.Errorf("nats users: %w", err)
	}
	cfg.Users = users
	ns, err := natsserver.Start(cfg)
	if err != nil {
		return nil, nil, err
	}
	auth, err := natsauth.ConnectOption(dir.ServerSeedFile())
	if err != nil {
		ns.Shutdown()
		return nil, nil, err
	}
	s.group.Go(ctx, "nats users", func(ctx context.Context) error {
		dir.Watch(ctx, 2*time.Second, users, ns.SetUsers)
		return nil
	})
	return ns, auth, nil
}

// natsAuth is how a client authenticates given a credential file: none
// without one (an open external cluster), else the file's key or creds.
func natsAuth(creds string) ([]nats.Option, error) {
	if creds == "" {
		return nil, nil
	}
	opt, err := natsauth.ConnectOption(creds)
	if err != nil {
		return nil, err
	}
	return []nats.Option{opt}, nil
}
