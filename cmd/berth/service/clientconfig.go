package service

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"

	"github.com/berth-dev/berth/cmd/berth/client"
)

// randomToken is a bootstrap admin token for berth dev.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// writeClientConfig leaves the API's URL and the admin token where the
// CLI looks, so `berth deploy` works right after `berth dev`.
func writeClientConfig(path string, api net.Addr, token string) error {
	host, port, err := net.SplitHostPort(api.String())
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return client.Config{API: "http://" + net.JoinHostPort(host, port), Token: token}.Save(path)
}
