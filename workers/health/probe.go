package health

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// newClient makes a client for probes: no redirects (a 3xx answer is a
// pass), no pooled connections (hundreds of instances, one check every
// few seconds each), and short connect timeouts; each probe's own
// deadline comes from its context.
func newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			DisableKeepAlives:     true,
			ResponseHeaderTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// probe sends GET url with timeout; a 2xx or 3xx answer passes.
func probe(ctx context.Context, client *http.Client, target string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Result{Detail: err.Error()}
	}
	req.Header.Set("User-Agent", "berth-health")
	resp, err := client.Do(req)
	if err != nil {
		return Result{Detail: describe(ctx, err)}
	}
	// Drain a little so the server sees a clean close; never a lot.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return Result{OK: true, Detail: strconv.Itoa(resp.StatusCode)}
	}
	return Result{Misconfigured: resp.StatusCode >= 400 && resp.StatusCode < 500, Detail: strconv.Itoa(resp.StatusCode)}
}

// describe shortens a transport error for a reason: the URL is already
// named by the check, so only the cause is kept.
func describe(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var operr *net.OpError
	if errors.As(err, &operr) && operr.Err != nil {
		err = operr.Err
	}
	return err.Error()
}
