package natsauth_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natstest"
)

func TestSecretsAreOwnerOnly(t *testing.T) {
	b := closedBus(t)
	for _, f := range []string{b.dir.ServerSeedFile(), b.dir.HostSeedFile("h1"), filepath.Join(b.dir.Dir, "integrators", "dash.nk")} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	if _, err := b.dir.AddHost("../etc"); err == nil {
		t.Error("AddHost accepted a path as a host name")
	}
}

// A host added to a running server's directory gets in once the users
// are reloaded; a rotated key replaces the old one, which is cut off.
func TestAddedAndRotatedKeysTakeEffectWithoutRestart(t *testing.T) {
	b := closedBus(t)
	if _, err := b.dir.AddHost("h3"); err != nil {
		t.Fatal(err)
	}
	reload := func() {
		users, err := b.dir.Users()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.srv.SetUsers(users); err != nil {
			t.Fatal(err)
		}
	}
	reload()
	old := filepath.Join(t.TempDir(), "h3-old.nk")
	seed, _ := os.ReadFile(b.dir.HostSeedFile("h3"))
	if err := natsauth.WriteSecret(old, seed); err != nil {
		t.Fatal(err)
	}
	auth, _ := natsauth.ConnectOption(old)
	nc, err := nats.Connect(b.srv.ClientURL(), auth, nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("new host cannot connect after reload: %v", err)
	}
	defer nc.Close()

	if _, err := b.dir.AddHost("h3"); err != nil { // rotate
		t.Fatal(err)
	}
	reload()
	natstest.Eventually(t, 10*time.Second, "old key cut off", func() bool { return nc.IsClosed() || !nc.IsConnected() })
	if _, err := nats.Connect(b.srv.ClientURL(), auth, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("rotated-out key: %v, want refused", err)
	}
	connect(t, b.srv, b.dir.HostSeedFile("h3"))
}
