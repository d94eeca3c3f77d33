package events

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzStreamStart: whatever a client puts in the stream's query and
// Last-Event-ID, the start is parsed or refused, never a panic, and an
// accepted app filter is one subject token.
func FuzzStreamStart(f *testing.F) {
	f.Add("web", "12", "", "")
	f.Add("", "", "0", "10m")
	f.Add("a.b", "x", "", "2026-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, app, lastID, after, since string) {
		q := url.Values{}
		for k, v := range map[string]string{"app": app, "after": after, "since": since} {
			if v != "" {
				q.Set(k, v)
			}
		}
		r := httptest.NewRequest("GET", "/v1/events/stream?"+q.Encode(), nil)
		if lastID != "" {
			r.Header["Last-Event-ID"] = []string{lastID}
		}
		filter, _, _, err := streamStart(r)
		if err == nil && app != "" && filter != App(app).Filter() {
			t.Fatalf("app %q gave filter %q", app, filter)
		}
		if err == nil && app != "" && !validToken(app) {
			t.Fatalf("accepted app %q", app)
		}
	})
}
