package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for goose
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections"
	"github.com/berth-dev/berth/projections/readapi"
)

// migrate applies the schema; safe to run from several servers at once.
func migrate(ctx context.Context, databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// startProjections keeps the read models current.
func (s *Server) startProjections(ctx context.Context, cfg ServerConfig, mux *http.ServeMux) error {
	if err := migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	r, err := projections.New(ctx, projections.Config{DatabaseURL: cfg.DatabaseURL, NATS: s.NC})
	if err != nil {
		return err
	}
	s.cleanup = append(s.cleanup, r.Close)
	s.Projections = r
	readapi.New(s.DB).Routes(mux)
	s.group.Go(ctx, "projections", r.Run)
	return nil
}

// RebuildProjections replays the whole event stream into fresh read-model
// tables and returns how many events the stream held. Run it against a
// live system: projections in a running server pick up from the rebuilt
// checkpoints.
func RebuildProjections(ctx context.Context, cfg ServerConfig) (uint64, error) {
	if cfg.DatabaseURL == "" {
		return 0, errors.New("database URL is required (--database-url or BERTH_DATABASE_URL)")
	}
	auth, err := natsAuth(cfg.NATSCreds)
	if err != nil {
		return 0, err
	}
	tlsOpts, err := cfg.NATSTLS.ClientOptions()
	if err != nil {
		return 0, err
	}
	auth = append(auth, tlsOpts...)
	nc, err := nats.Connect(cfg.NATSURL, append(auth, nats.Name("berth-rebuild"), nats.Timeout(5*time.Second))...)
	if err != nil {
		return 0, fmt.Errorf("connect NATS %s: %w", cfg.NATSURL, err)
	}
	defer nc.Close()
	if err := migrate(ctx, cfg.DatabaseURL); err != nil {
		return 0, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	st, err := events.AttachStore(ctx, js, "berth/rebuild")
	if err != nil {
		return 0, err
	}
	head, err := st.LastSequence(ctx, events.AllSubjects)
	if err != nil {
		return 0, err
	}
	r, err := projections.New(ctx, projections.Config{DatabaseURL: cfg.DatabaseURL, NATS: nc})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if err := r.Rebuild(ctx); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	return head, nil
}
