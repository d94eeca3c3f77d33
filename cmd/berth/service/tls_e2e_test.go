package service_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/berth-dev/berth/cmd/berth/service"
	"github.com/berth-dev/berth/events/natsauth"
	"github.com/berth-dev/berth/events/natsauth/tlstest"
)

// The bus over TLS with client certificates: the server's own client and
// the agents connect and the hosts register; a client without TLS, or
// with TLS but no certificate, is refused.
func TestDevOverNATSTLS(t *testing.T) {
	dir := t.TempDir()
	ca, issue := tlstest.CA(t, dir, "berth")
	cert, key := issue("berth-nats", true)
	d := startDev(t, 1, false, func(c *service.DevConfig) {
		c.Server.NATSTLS = natsauth.TLSFiles{CA: ca, Cert: cert, Key: key}
	})
	if out := berth(t, d, "hosts"); len(out) == 0 {
		t.Fatal("no hosts")
	}
	if nc, err := nats.Connect(d.NATSURL, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("connected without TLS")
	}
	opts, err := natsauth.TLSFiles{CA: ca}.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(d.NATSURL, append(opts, nats.MaxReconnects(0))...); err == nil {
		nc.Close()
		t.Fatal("connected without a client certificate")
	}
}
