package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery. A durable contract with receivers: don't
// rename.
const (
	SignatureHeader = "Berth-Signature"
	// IDHeader carries the CloudEvents id, the receiver's de-duplication
	// key; IdempotencyHeader repeats it for receivers that look there.
	IDHeader          = "Ce-Id"
	IdempotencyHeader = "Idempotency-Key"
	EventTypeHeader   = "Ce-Type"
	HookHeader        = "Berth-Hook"
	ContentType       = "application/cloudevents+json"
)

// Sign returns the Berth-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with secret>",
// as Stripe does: the timestamp is signed, so a receiver can refuse old
// (replayed) requests.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature: the header does not match the body and secret.
var ErrBadSignature = errors.New("signature does not match")

// Verify checks a Berth-Signature header against body and secret and that
// its timestamp is within tolerance of now. Receivers can copy it.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header %q", ErrBadSignature, header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is outside the tolerance of %s", ErrBadSignature, time.Unix(sec, 0).UTC().Format(time.RFC3339), tolerance)
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}
