package hooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/commands/httpjson"
)

// FuzzDecodeHookCommands: the decoders of POST /v1/hooks and of a replay
// request never panic, answer only 400-class errors, and what they accept
// is valid.
func FuzzDecodeHookCommands(f *testing.F) {
	f.Add([]byte(`{"name":"ci","url":"https://hooks.example.com/x","apps":["web"],"types":["rollout_*"]}`))
	f.Add([]byte(`{"name":"ci","url":"http://127.0.0.1:9/","secret":"0123456789abcdef"}`))
	f.Add([]byte(`{"since":"1h"}`))
	f.Add([]byte(`{"since":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(``))
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range []hooks.Policy{{}, {AllowPrivate: true}} {
			c, err := hooks.DecodePut(body, p)
			if err != nil {
				checkClientError(t, err)
				continue
			}
			if err := hooks.ValidateName(c.Name); err != nil {
				t.Fatalf("accepted an invalid name %q", c.Name)
			}
			if err := hooks.ValidateURL(c.URL, p); err != nil {
				t.Fatalf("accepted an invalid url %q", c.URL)
			}
		}
		since, err := hooks.DecodeReplay(body, now)
		if err != nil {
			checkClientError(t, err)
			return
		}
		if since.After(now) {
			t.Fatalf("accepted a future since %s", since)
		}
	})
}

func checkClientError(t *testing.T, err error) {
	t.Helper()
	var br httpjson.BadRequest
	if !errors.As(err, &br) && !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("error %v is neither a bad request nor a field error", err)
	}
}
