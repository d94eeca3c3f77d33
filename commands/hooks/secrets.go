package hooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what Secrets needs of Postgres; *pgxpool.Pool has it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Secrets keeps signing secrets in the server's database (table
// hook_secrets), never in the event log, which integrators may read.
// Events name a secret by its id.
type Secrets struct{ db DB }

// NewSecrets keeps secrets in db.
func NewSecrets(db DB) *Secrets { return &Secrets{db: db} }

// ErrNoSecret: the secret an event names is not in the database.
var ErrNoSecret = errors.New("hook secret not found")

// Put stores secret for hook under a new random id and returns the id.
func (s *Secrets) Put(ctx context.Context, hook, secret string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("secret id: %w", err)
	}
	id := hex.EncodeToString(b[:])
	if _, err := s.db.Exec(ctx, `INSERT INTO hook_secrets (hook, secret_id, secret) VALUES ($1, $2, $3)`, hook, id, secret); err != nil {
		return "", fmt.Errorf("store secret of hook %s: %w", hook, err)
	}
	return id, nil
}

// Get returns the secret stored for hook under id.
func (s *Secrets) Get(ctx context.Context, hook, id string) (string, error) {
	var secret string
	err := s.db.QueryRow(ctx, `SELECT secret FROM hook_secrets WHERE hook = $1 AND secret_id = $2`, hook, id).Scan(&secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("hook %s secret %s: %w", hook, id, ErrNoSecret)
	}
	if err != nil {
		return "", fmt.Errorf("load secret of hook %s: %w", hook, err)
	}
	return secret, nil
}

// NewSecret generates a signing secret the way Stripe shapes them.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
