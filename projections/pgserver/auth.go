package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Every cluster authenticates with scram-sha-256, locally too: a local
// user who is not us can't connect. The superuser (Superuser) only sets
// the cluster up; Berth connects as AppRole, which owns its database and
// is not a superuser. Each role's password is generated at first start
// and kept in the data directory, readable only by this process's user.
const (
	adminPasswordFile = "admin.password"
	appPasswordFile   = "berth.password"
	hbaConf           = "pg_hba.conf"
)

// hbaLines allow only password (scram-sha-256) logins, on the socket and
// on loopback.
var hbaLines = []string{
	"# written by berth: every login needs its role's password",
	"local all all scram-sha-256",
	"host all all 127.0.0.1/32 scram-sha-256",
	"host all all ::1/128 scram-sha-256",
}

func (c Config) passwordPath(name string) string { return filepath.Join(c.DataDir, name) }

// password reads the password kept in name, generating it if missing.
func (c Config) password(name string) (string, error) {
	path := c.passwordPath(name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return pw, nil
}

// pwfile hands initdb the superuser's password in a file its user can
// read; the caller removes it.
func pwfile(r *runner, c Config) (string, error) {
	pw, err := c.password(adminPasswordFile)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.DataDir, "initdb.pw")
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write initdb password file: %w", err)
	}
	return path, r.own(path)
}

// legacy reports a cluster initialised before passwords: trust for all,
// with AppRole as its superuser.
func (c Config) legacy() bool {
	_, marker := os.Stat(c.initMarker())
	_, pw := os.Stat(c.passwordPath(adminPasswordFile))
	return marker == nil && errors.Is(pw, fs.ErrNotExist)
}

// secureLegacy moves a running legacy cluster to passwords: it creates the
// superuser, switches pg_hba.conf to scram-sha-256 and reloads.
func (s *Server) secureLegacy(ctx context.Context) error {
	adminPW, err := s.cfg.password(adminPasswordFile)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.dsn(AppRole, "", "postgres"))
	if err != nil {
		return fmt.Errorf("connect to the legacy cluster: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", Superuser).Scan(&exists); err != nil {
		return fmt.Errorf("look up %s: %w", Superuser, err)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("%s ROLE %s WITH SUPERUSER LOGIN PASSWORD %s", verb,
		pgx.Identifier{Superuser}.Sanitize(), quote(adminPW))); err != nil {
		return fmt.Errorf("create %s: %w", Superuser, err)
	}
	if err := s.writeHBA(); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload pg_hba.conf: %w", err)
	}
	return nil
}

func (s *Server) writeHBA() error {
	path := filepath.Join(s.cfg.pgdata(), hbaConf)
	if err := os.WriteFile(path, []byte(strings.Join(hbaLines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", hbaConf, err)
	}
	return s.r.own(path)
}

// setupRoles makes AppRole a login role that is not a superuser, with its
// password, owning database name.
func (s *Server) setupRoles(ctx context.Context, name string) error {
	appPW, err := s.cfg.password(appPasswordFile)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.AdminDSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	role := pgx.Identifier{AppRole}.Sanitize()
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", AppRole).Scan(&exists)
	if err == nil {
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		_, err = conn.Exec(ctx, fmt.Sprintf("%s ROLE %s WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %s",
			verb, role, quote(appPW)))
	}
	if err != nil {
		return fmt.Errorf("set up role %s: %w", AppRole, err)
	}
	db := pgx.Identifier{name}.Sanitize()
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err == nil && !exists {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+db+" OWNER "+role)
	} else if err == nil {
		_, err = conn.Exec(ctx, "ALTER DATABASE "+db+" OWNER TO "+role)
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// quote is a SQL string literal; passwords are hex, but quote anyway.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
