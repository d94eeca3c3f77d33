package natsauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// TLSFiles names the PEM files of one side of a TLS connection.
type TLSFiles struct {
	// CA verifies the other side: clients' certificates on the server
	// (then required), the server's certificate on a client.
	CA string
	// Cert and Key are this side's certificate; a server needs them, a
	// client only when the server verifies clients.
	Cert, Key string
}

// Enabled says whether any file is given.
func (f TLSFiles) Enabled() bool { return f.CA != "" || f.Cert != "" || f.Key != "" }

// Validate reports every problem at once.
func (f TLSFiles) Validate() error {
	var errs []error
	if (f.Cert == "") != (f.Key == "") {
		errs = append(errs, errors.New("tls: give both a certificate and its key"))
	}
	for _, p := range []string{f.CA, f.Cert, f.Key} {
		if p != "" {
			if _, err := os.Stat(p); err != nil {
				errs = append(errs, fmt.Errorf("tls: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

func (f TLSFiles) pool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("tls ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls ca %s: no PEM certificate", f.CA)
	}
	return pool, nil
}

// ServerTLS is the embedded server's TLS: its certificate, and with a CA
// a client certificate signed by it is required.
func (f TLSFiles) ServerTLS() (*tls.Config, error) {
	if f.Cert == "" {
		return nil, errors.New("tls: the NATS server needs a certificate and key")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		if cfg.ClientCAs, err = f.pool(); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ClientOptions makes a client verify the server with CA and present
// Cert when given.
func (f TLSFiles) ClientOptions() ([]nats.Option, error) {
	if !f.Enabled() {
		return nil, nil
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pool, err := f.pool()
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if f.Cert != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return []nats.Option{nats.Secure(cfg)}, nil
}
