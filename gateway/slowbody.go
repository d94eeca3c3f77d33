package gateway

import (
	"io"
	"net/http"
	"time"
)

// bodyDeadline makes every read of a request body wait at most idle for
// data, and never past the request's ReadTimeout (0: none): a client that
// trickles a body, or stops sending it, is cut off instead of holding a
// connection here and one at the backend.
type bodyDeadline struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	until time.Time
}

func (b *bodyDeadline) Read(p []byte) (int, error) {
	d := time.Now().Add(b.idle)
	if !b.until.IsZero() && b.until.Before(d) {
		d = b.until
	}
	_ = b.rc.SetReadDeadline(d)
	return b.ReadCloser.Read(p)
}

// guardBody wraps r's body (if it has one) in a bodyDeadline.
func (g *Gateway) guardBody(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || g.cfg.BodyReadTimeout <= 0 {
		return
	}
	b := &bodyDeadline{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: g.cfg.BodyReadTimeout}
	if g.cfg.ReadTimeout > 0 {
		b.until = time.Now().Add(g.cfg.ReadTimeout)
	}
	r.Body = b
}
