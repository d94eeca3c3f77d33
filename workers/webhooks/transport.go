package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/berth-dev/berth/commands/hooks"
)

// errRefusedAddr: the receiver resolved to an address the server does not
// allow (server-side request forgery). Permanent for the event.
var errRefusedAddr = errors.New("receiver address not allowed")

// errBadURL: the hook's URL can't make a request. Permanent.
var errBadURL = errors.New("invalid receiver URL")

// newClient is the HTTP client deliveries use: no redirects followed, no
// proxy from the environment, and unless private receivers are allowed,
// every connection checked where it is made, after DNS resolution, so a
// name that resolves to a private address is refused too.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", errRefusedAddr, address)
			}
			if !hooks.PublicAddr(ap.Addr()) {
				return fmt.Errorf("%w: %s is not a public address", errRefusedAddr, ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   64, // many hooks may share one receiver host
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
