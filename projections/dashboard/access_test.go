package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/dashboard"
)

// noRedirects is a client that shows redirects instead of following them.
func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestEveryPageChecksWhoIsAsking(t *testing.T) {
	e := start(t)
	seed(t, e)
	c := noRedirects(nil)
	for _, path := range []string{"/", "/apps/web", "/hosts", "/events", "/apps/web?at=2020-01-01T00:00:00Z"} {
		resp, err := c.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s signed out: %s to %q, want 303 to the sign-in page", path, resp.Status, resp.Header.Get("Location"))
		}
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the bearer token: %s, want 200", path, resp.Status)
		}
	}
	for _, path := range []string{"/ui/stream", "/apps/web?partial=1"} {
		resp, err := c.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s signed out: %s, want 401", path, resp.Status)
		}
	}
	// The API keeps its own bearer check behind the dashboard.
	resp, err := c.Get(e.URL + "/v1/apps")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v1/apps without a token: %s, want 401", resp.Status)
	}
	// A session cookie is not an API credential.
	jar := signedInJar(t, e)
	resp, err = noRedirects(jar).Get(e.URL + "/v1/apps")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v1/apps with only a dashboard session: %s, want 401", resp.Status)
	}
}

// signedInJar signs in through the form and returns the cookies, the CSRF
// cookie included.
func signedInJar(t *testing.T, e *env) http.CookieJar {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := noRedirects(jar)
	resp, err := c.Get(e.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.PostForm(e.URL+"/login", url.Values{"token": {testToken}, "csrf": {csrfOf(t, jar, e.URL)}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %s", resp.Status)
	}
	return jar
}

func csrfOf(t *testing.T, jar http.CookieJar, base string) string {
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == dashboard.CSRFCookie {
			return c.Value
		}
	}
	t.Fatal("no CSRF cookie")
	return ""
}

func TestForgedActionsAreRefused(t *testing.T) {
	e := start(t)
	seed(t, e)
	jar := signedInJar(t, e)
	csrf := csrfOf(t, jar, e.URL)
	scale := e.URL + "/apps/web/scale"
	for _, tc := range []struct {
		name   string
		client *http.Client
		form   url.Values
		header map[string]string
		want   int
	}{
		{"not signed in", noRedirects(nil), url.Values{"replicas": {"5"}, "csrf": {csrf}}, nil, http.StatusForbidden},
		{"no CSRF field", noRedirects(jar), url.Values{"replicas": {"5"}}, nil, http.StatusForbidden},
		{"wrong CSRF field", noRedirects(jar), url.Values{"replicas": {"5"}, "csrf": {"x" + csrf[1:]}}, nil, http.StatusForbidden},
		{"from another site", noRedirects(jar), url.Values{"replicas": {"5"}, "csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", noRedirects(jar), url.Values{"replicas": {"5"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"bad replicas", noRedirects(jar), url.Values{"replicas": {"many"}, "csrf": {csrf}}, nil, http.StatusBadRequest},
		{"the dashboard's own form", noRedirects(jar), url.Values{"replicas": {"4"}, "csrf": {csrf}}, nil, http.StatusSeeOther},
	} {
		req, _ := http.NewRequest(http.MethodPost, scale, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := tc.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s (%s), want %d", tc.name, resp.Status, strings.TrimSpace(string(body))[:min(len(body), 120)], tc.want)
		}
	}
	// Only the dashboard's own form changed anything.
	recs, _, err := e.Store.Load(context.Background(), events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var scaled []events.AppScaled
	for _, r := range recs {
		if s, ok := r.Event.(events.AppScaled); ok {
			scaled = append(scaled, s)
		}
	}
	if len(scaled) != 1 || scaled[0].Replicas != 4 {
		t.Fatalf("scale events %+v, want only the one to 4 replicas", scaled)
	}
}
