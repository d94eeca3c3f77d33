package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
)

// Runner runs the projectors.
type Runner struct {
	cfg        Config
	db         *pgxpool.Pool
	js         jetstream.JetStream
	log        *slog.Logger
	cp         checkpoints
	projectors []projector
	// running admits one Run, RunToEnd or Rebuild at a time.
	running sync.Mutex

	// afterCommit, set by tests, runs for each event of a batch after its
	// transaction committed and before the batch is acknowledged; an
	// error hands the batch back for redelivery.
	afterCommit func(projector string, seq uint64) error
	// crashOnStop, set by tests, stops without settling acks, as a
	// killed process would.
	crashOnStop bool

	// resyncMu serialises consumer resets in this process; resets counts
	// them (tests read it).
	resyncMu sync.Mutex
	resets   atomic.Int64
}

// New connects to Postgres and JetStream; it starts nothing.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("projections config: %w", err)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("projections database url: %w", err)
	}
	// Commits don't wait for the WAL flush: a Postgres crash may lose the
	// last ones, rows and checkpoint together, after JetStream got their
	// acks. The checkpoint stays the position (see resync.go, README).
	poolCfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	// One connection per projector, so none waits for another's, and
	// one for skips, resets and progress polls.
	projectors := all()
	poolCfg.MaxConns = max(poolCfg.MaxConns, int32(len(projectors)+1))
	db, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("projections database: %w", err)
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("projections jetstream: %w", err)
	}
	log := cfg.Logger.With("component", "projections")
	return &Runner{
		cfg:        cfg,
		db:         db,
		js:         js,
		log:        log,
		cp:         checkpoints{db: db, gapped: gapCheck(js)},
		projectors: projectors,
	}, nil
}

// Close releases the database pool. Call it after Run has returned.
func (r *Runner) Close() { r.db.Close() }

// Run projects every event, replaying what each projector has not seen
// and then following the stream live, until ctx ends (then it returns nil).
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.TryLock() {
		return errors.New("projections are already running")
	}
	defer r.running.Unlock()
	err := r.run(ctx, 0)
	if ctx.Err() != nil {
		return nil // stopping is how Run ends; what failed meanwhile doesn't matter
	}
	return err
}

// RunToEnd projects until every projector has applied the event that was
// last in the stream when it was called, then returns. Tests use it to
// read models deterministically; the CLI to catch up once.
func (r *Runner) RunToEnd(ctx context.Context) error {
	if !r.running.TryLock() {
		return errors.New("projections are already running")
	}
	defer r.running.Unlock()
	return r.runToEnd(ctx)
}

func (r *Runner) runToEnd(ctx context.Context) error {
	head, err := streamHead(ctx, r.js)
	if err != nil {
		return err
	}
	pos, err := positions(ctx, r.db)
	if err != nil {
		return err
	}
	if newProgress(pos).allAt(r.names(), head) {
		return nil
	}
	return r.run(ctx, head)
}

func (r *Runner) names() []string {
	names := make([]string, len(r.projectors))
	for i, p := range r.projectors {
		names[i] = p.name
	}
	return names
}
