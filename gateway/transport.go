package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/gateway/routing"
	"github.com/berth-dev/berth/gateway/stats"
)

// dialError marks a failure to connect: the request never left, so it is
// safe to send elsewhere.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func newTransport(cfg Config) *http.Transport {
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		// Never route app traffic through an HTTP_PROXY from the environment.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &dialError{err}
			}
			return c, nil
		},
		MaxIdleConns:          0, // no global cap; the per-host cap bounds it
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
		// Pass the client's Accept-Encoding through untouched.
		DisableCompression: true,
	}
}

// routeKey carries a request's route from the handler to the transport.
type routeKey struct{}

type route struct {
	app   *routing.App
	stats *stats.App
	sel   selection
	// release is the release of the endpoint tried last, whose answer (or
	// failure) the request's stats count.
	release int
}

// retryTransport picks the endpoint for each attempt. A refused connection
// ejects the endpoint and moves on; so does a dropped connection for an
// idempotent request, which is what a killed container looks like to
// requests already on their way.
type retryTransport struct {
	base  http.RoundTripper
	eject *ejector
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, ok := req.Context().Value(routeKey{}).(*route)
	if !ok {
		return nil, errors.New("gateway: request without route")
	}
	replayable := req.Body == nil || req.Body == http.NoBody
	idempotent := replayable && isIdempotent(req.Method)

	var lastErr error
	for attempt := 0; ; attempt++ {
		now := time.Now()
		ep, ok := rt.sel.next(t.eject, now)
		if !ok {
			return nil, lastErr
		}
		if attempt > 0 {
			rt.stats.Retried()
		}
		rt.release = ep.Release
		out := *req
		u := *req.URL
		u.Host = ep.Addr
		out.URL = &u
		resp, err := t.base.RoundTrip(&out)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if req.Context().Err() != nil {
			return nil, err
		}
		var de *dialError
		switch {
		case errors.As(err, &de):
			t.eject.eject(ep.Addr, time.Now())
			if !replayable {
				return nil, err
			}
		case idempotent && isConnDropped(err):
		default:
			return nil, err
		}
	}
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// isConnDropped reports a connection that closed or reset before a
// response arrived; timeouts are not retried, they would only double the
// client's wait.
func isConnDropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		// net/http's unexported errServerClosedIdle: every pooled
		// connection to a killed instance ends this way once its own
		// single retry found another dead one.
		strings.Contains(err.Error(), "server closed idle connection")
}
