package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/projections/pgserver"
)

// The audit's finding: any local user connected to the dev cluster as
// berth, a superuser, with no password. Now every login needs a
// scram-sha-256 password kept 0600 in the data dir, and berth owns its
// database without being a superuser.
func TestClusterNeedsPasswordsAndBerthIsNoSuperuser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, dir)

	hba, err := os.ReadFile(filepath.Join(srv.DataDir(), "pgdata", "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, line := range strings.Split(string(hba), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rules++
		if method := f[len(f)-1]; method != "scram-sha-256" {
			t.Errorf("pg_hba.conf rule %q: method %s, want scram-sha-256", line, method)
		}
	}
	if rules == 0 {
		t.Fatalf("pg_hba.conf has no rules:\n%s", hba)
	}
	entries, _ := filepath.Glob(filepath.Join(srv.DataDir(), "*.password"))
	if len(entries) != 2 {
		t.Fatalf("password files %v, want the superuser's and berth's", entries)
	}
	for _, p := range entries {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", p, fi.Mode().Perm(), err)
		}
	}

	conn := connect(t, srv.DSN())
	var super bool
	var owner string
	if err := conn.QueryRow(context.Background(), `SELECT r.rolsuper, pg_get_userbyid(d.datdba)
		FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`).Scan(&super, &owner); err != nil {
		t.Fatal(err)
	}
	if super || owner != pgserver.AppRole {
		t.Fatalf("berth is superuser %v, database owned by %s", super, owner)
	}

	// Other users, and berth or the superuser without a password, are
	// refused over TCP and on the socket.
	for _, dsn := range []string{
		fmt.Sprintf("postgres://nobody@127.0.0.1:%d/berth?sslmode=disable", srv.Port()),
		fmt.Sprintf("postgres://berth@127.0.0.1:%d/berth?sslmode=disable", srv.Port()),
		fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", pgserver.Superuser, srv.Port()),
		fmt.Sprintf("host=%s port=%d user=berth dbname=berth sslmode=disable", srv.SocketDir(), srv.Port()),
		fmt.Sprintf("host=%s port=%d user=nobody dbname=berth sslmode=disable", srv.SocketDir(), srv.Port()),
	} {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Close(context.Background())
			t.Errorf("%s: connected without a password", dsn)
			continue
		}
		if !strings.Contains(err.Error(), "password") {
			t.Errorf("%s: %v; want a password failure", dsn, err)
		}
	}

	// A restart keeps the passwords.
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := start(t, dir)
	connect(t, again.DSN())
}

// A data dir from before passwords (trust for everyone, berth a
// superuser) is moved over at its next start.
func TestLegacyTrustClusterIsSecuredAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := start(t, dir)
	admin := connect(t, srv.AdminDSN("postgres"))
	exec(t, admin, "ALTER ROLE berth SUPERUSER")
	admin.Close(context.Background())
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	hba := filepath.Join(srv.DataDir(), "pgdata", "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all all trust\nhost all all 127.0.0.1/32 trust\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"admin.password", "berth.password"} {
		if err := os.Remove(filepath.Join(srv.DataDir(), f)); err != nil {
			t.Fatal(err)
		}
	}

	again := start(t, dir)
	b, err := os.ReadFile(hba)
	if err != nil || strings.Contains(string(b), "trust") {
		t.Fatalf("pg_hba.conf after start (%v):\n%s", err, b)
	}
	var super bool
	if err := connect(t, again.DSN()).QueryRow(context.Background(),
		"SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || super {
		t.Fatalf("berth superuser %v (%v)", super, err)
	}
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://berth@127.0.0.1:%d/berth?sslmode=disable", again.Port()))
	if err == nil {
		c.Close(context.Background())
		t.Fatal("connected without a password after the move")
	}
}
