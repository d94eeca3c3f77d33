package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/projections/pgserver"
)

// NewDB creates an empty database on the shared cluster for this test and
// returns its DSN. The database is dropped at cleanup, cutting any sessions
// the test left open.
func NewDB(t testing.TB) string {
	t.Helper()
	srv := Server(t)
	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin(ctx, srv.AdminDSN("postgres"), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER "+pgx.Identifier{pgserver.AppRole}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := admin(ctx, srv.AdminDSN("postgres"), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return srv.DSNFor(name)
}

func admin(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName derives a unique, readable database name (at most 63 bytes) from a test name.
func dbName(testName string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	base := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	if len(base) > 48 {
		base = base[:48]
	}
	return fmt.Sprintf("t_%s_%s", base, hex.EncodeToString(b[:]))
}
