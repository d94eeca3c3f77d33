package natsauth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Why nkeys: the embedded server takes them natively with per-user
// permissions (server.Options.Nkeys), it stores only public keys (nothing
// on the control plane is worth stealing), the secret seed never crosses
// the wire (challenge and signature), and no operator, account JWTs or
// resolver are needed. An external cluster can use JWT .creds instead;
// ConnectOption takes either.

// Directory layout under Dir (the server's credentials directory):
//
//	server.nk                the server's own seed (0600)
//	hosts/<host>.pub         public key of host's agent
//	hosts/<host>.nk          its seed, when made here (berth dev); copy it
//	                         to the host and delete it
//	integrators/<name>.pub   public key of a read-only integrator
type Directory struct{ Dir string }

const (
	serverSeed     = "server.nk"
	hostsDir       = "hosts"
	integratorsDir = "integrators"
)

// namePattern keeps names usable as a subject token and a file name.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$`)

// ServerSeedFile is where the server's seed is, created by EnsureServer.
func (d Directory) ServerSeedFile() string { return filepath.Join(d.Dir, serverSeed) }

// HostSeedFile is where AddHost leaves host's seed.
func (d Directory) HostSeedFile(host string) string {
	return filepath.Join(d.Dir, hostsDir, host+".nk")
}

// EnsureServer creates the server's key on first use.
func (d Directory) EnsureServer() error {
	_, err := os.Stat(d.ServerSeedFile())
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	seed, _, err := NewUser()
	if err != nil {
		return err
	}
	return WriteSecret(d.ServerSeedFile(), seed)
}

// AddHost authorises a new key for host's agent, replacing any earlier
// one, and returns its seed; it is also left in HostSeedFile.
func (d Directory) AddHost(host string) ([]byte, error) {
	return d.add(hostsDir, host)
}

// AddIntegrator authorises a new read-only key for name and returns its seed.
func (d Directory) AddIntegrator(name string) ([]byte, error) {
	return d.add(integratorsDir, name)
}

func (d Directory) add(kind, name string) ([]byte, error) {
	if !namePattern.MatchString(name) {
		return nil, fmt.Errorf("name %q: want letters, digits, '-' or '_' (at most 63)", name)
	}
	seed, pub, err := NewUser()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(d.Dir, kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("credentials dir: %w", err)
	}
	if err := WriteSecret(filepath.Join(dir, name+".nk"), seed); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pub"), []byte(pub+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write public key of %s: %w", name, err)
	}
	return seed, nil
}

// Users is every user the directory authorises, each with its role's
// permissions. The server's user may do anything.
func (d Directory) Users() ([]*server.NkeyUser, error) {
	seed, err := os.ReadFile(d.ServerSeedFile())
	if err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	kp, err := nkeys.ParseDecoratedNKey(seed)
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", d.ServerSeedFile(), err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	users := []*server.NkeyUser{{Nkey: pub}}
	for kind, perms := range map[string]func(string) *server.Permissions{hostsDir: Agent, integratorsDir: Integrator} {
		keys, err := readPublicKeys(filepath.Join(d.Dir, kind))
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			users = append(users, &server.NkeyUser{Nkey: k.pub, Permissions: perms(k.name)})
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Nkey < users[j].Nkey })
	return users, nil
}

type publicKey struct{ name, pub string }

func readPublicKeys(dir string) ([]publicKey, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	var out []publicKey
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pub")
		if !namePattern.MatchString(name) {
			return nil, fmt.Errorf("public key %s: bad name", f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pub := string(bytes.TrimSpace(b))
		if !nkeys.IsValidPublicUserKey(pub) {
			return nil, fmt.Errorf("public key %s: not an nkey user key", f)
		}
		out = append(out, publicKey{name: name, pub: pub})
	}
	return out, nil
}

// NewUser makes a user key pair: the seed (secret) and the public key.
func NewUser() (seed []byte, pub string, err error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, "", fmt.Errorf("create nkey: %w", err)
	}
	if seed, err = kp.Seed(); err != nil {
		return nil, "", err
	}
	pub, err = kp.PublicKey()
	return seed, pub, err
}

// WriteSecret writes b to path readable by its owner only.
func WriteSecret(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create dir of %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(bytes.TrimSpace(b), '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, 0o600) // WriteFile keeps an existing file's mode
}

// ConnectOption authenticates with the credential in path: an nkey seed
// (what Directory makes) or a NATS .creds file (user JWT and seed, for
// an external cluster run by an operator).
func ConnectOption(path string) (nats.Option, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nats credential: %w", err)
	}
	if bytes.Contains(b, []byte("BEGIN NATS USER JWT")) {
		return nats.UserCredentials(path), nil
	}
	opt, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		return nil, fmt.Errorf("nats credential %s: %w", path, err)
	}
	return opt, nil
}
