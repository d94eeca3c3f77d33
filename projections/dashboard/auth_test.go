package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	now := t0
	a := newAuth("tok", func() time.Time { return now })
	s := a.newSession()
	other := newAuth("another token", func() time.Time { return now })
	for _, tc := range []struct {
		name  string
		auth  auth
		value string
		at    time.Time
		ok    bool
	}{
		{"fresh", a, s, t0, true},
		{"just before expiry", a, s, t0.Add(SessionTTL - time.Second), true},
		{"expired", a, s, t0.Add(SessionTTL), false},
		{"token changed", other, s, t0, false},
		{"expiry pushed out", a, "9999999999." + strings.SplitN(s, ".", 2)[1], t0, false},
		{"garbage", a, "x", t0, false},
		{"empty", a, "", t0, false},
	} {
		now = tc.at
		if got := tc.auth.validSession(tc.value); got != tc.ok {
			t.Errorf("%s: valid=%v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestAllowed(t *testing.T) {
	a := newAuth("tok", func() time.Time { return t0 })
	req := func(h, cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"nothing", req("", ""), false},
		{"bearer", req("Bearer tok", ""), true},
		{"wrong bearer", req("Bearer tak", ""), false},
		{"basic", req("Basic tok", ""), false},
		{"session", req("", a.newSession()), true},
		{"forged session", req("", "99999999999.AAAA"), false},
	} {
		if got := a.allowed(tc.r); got != tc.ok {
			t.Errorf("%s: allowed=%v, want %v", tc.name, got, tc.ok)
		}
	}
	if !newAuth("", time.Now).allowed(req("", "")) {
		t.Error("without a token the pages are open, as the API is")
	}
}

func TestSameOrigin(t *testing.T) {
	const csrf = "0123456789abcdefghij"
	post := func(field string, headers map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://berth.test/apps/web/scale", strings.NewReader(url.Values{CSRFField: {field}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: CSRFCookie, Value: csrf})
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"echoed", post(csrf, nil), true},
		{"same origin headers", post(csrf, map[string]string{"Origin": "http://berth.test", "Sec-Fetch-Site": "same-origin"}), true},
		{"missing", post("", nil), false},
		{"different", post(strings.ToUpper(csrf), nil), false},
		{"other origin", post(csrf, map[string]string{"Origin": "http://evil.test"}), false},
		{"cross-site", post(csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}), false},
		{"same-site is not same-origin", post(csrf, map[string]string{"Sec-Fetch-Site": "same-site"}), false},
	} {
		if got := sameOrigin(tc.r); got != tc.ok {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/apps/web?at=1": "/apps/web?at=1", "": "/", "https://evil.test/": "/", "//evil.test": "/", "/\\evil.test": "/", "apps": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
