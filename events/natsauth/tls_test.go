package natsauth_test

import (
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natsauth/tlstest"
	"github.com/berth-dev/berth/events/natsserver"
)

func TestTLSWithATestCA(t *testing.T) {
	dir := t.TempDir()
	ca, issue := tlstest.CA(t, dir, "berth")
	srvCert, srvKey := issue("nats-server", true)
	agentCert, agentKey := issue("h1", false)
	otherCA, otherIssue := tlstest.CA(t, dir, "other")
	strayCert, strayKey := otherIssue("stray", false)

	creds := natsauth.Directory{Dir: filepath.Join(dir, "credentials")}
	if err := creds.EnsureServer(); err != nil {
		t.Fatal(err)
	}
	if _, err := creds.AddHost("h1"); err != nil {
		t.Fatal(err)
	}
	users, _ := creds.Users()
	tlsCfg, err := natsauth.TLSFiles{CA: ca, Cert: srvCert, Key: srvKey}.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.Start(natsserver.Config{DataDir: t.TempDir(), Port: natsserver.RandomPort, Users: users, TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	auth, _ := natsauth.ConnectOption(creds.HostSeedFile("h1"))
	dial := func(files natsauth.TLSFiles) error {
		opts, err := files.ClientOptions()
		if err != nil {
			return err
		}
		nc, err := nats.Connect(srv.ClientURL(), append(opts, auth, nats.MaxReconnects(0),
			nats.CustomInboxPrefix(natsauth.AgentInbox("h1")))...)
		if err != nil {
			return err
		}
		defer nc.Close()
		return nc.Flush()
	}
	if err := dial(natsauth.TLSFiles{CA: ca, Cert: agentCert, Key: agentKey}); err != nil {
		t.Fatalf("agent with a certificate of the CA: %v", err)
	}
	for name, files := range map[string]natsauth.TLSFiles{
		"plaintext":                 {},
		"no client certificate":     {CA: ca},
		"certificate of another CA": {CA: ca, Cert: strayCert, Key: strayKey},
		"server not trusted":        {CA: otherCA, Cert: agentCert, Key: agentKey},
	} {
		if err := dial(files); err == nil {
			t.Errorf("%s: connected", name)
		}
	}
}
