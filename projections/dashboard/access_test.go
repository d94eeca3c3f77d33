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
	// A field that differs from the cookie in its first character, whatever
	// that character is (a fixed "x" matched one cookie in 64).
	wrong := "x" + csrf[1:]
	if csrf[0] == 'x' {
		wrong = "y" + csrf[1:]
	}
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
		{"wrong CSRF field", noRedirects(jar), url.Values{"replicas": {"5"}, "csrf": {wrong}}, nil, http.StatusForbidden},
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
	// The rollout actions go through the same checks.
	for _, path := range []string{"/apps/web/rollout/pause", "/apps/web/rollout/resume", "/apps/web/rollout/promote",
		"/apps/web/rollout/abort", "/apps/web/rollback"} {
		for _, tc := range []struct {
			name   string
			client *http.Client
			form   url.Values
			header map[string]string
			want   int
		}{
			{"not signed in", noRedirects(nil), url.Values{"to": {"1"}, "csrf": {csrf}}, nil, http.StatusForbidden},
			{"no CSRF field", noRedirects(jar), url.Values{"to": {"1"}}, nil, http.StatusForbidden},
			{"wrong CSRF field", noRedirects(jar), url.Values{"to": {"1"}, "csrf": {wrong}}, nil, http.StatusForbidden},
			{"from another site", noRedirects(jar), url.Values{"to": {"1"}, "csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
			{"cross-site fetch", noRedirects(jar), url.Values{"to": {"1"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		} {
			if got := post(t, tc.client, e.URL+path, tc.form, tc.header); got != tc.want {
				t.Errorf("%s %s: %d, want %d", path, tc.name, got, tc.want)
			}
		}
	}
	// Signed in and sent by the dashboard, bad input is named and refused.
	for path, form := range map[string]url.Values{
		"/apps/web/rollout/explode": {"csrf": {csrf}},
		"/apps/web/rollback":        {"to": {"latest"}, "csrf": {csrf}},
	} {
		if got := post(t, noRedirects(jar), e.URL+path, form, nil); got != http.StatusBadRequest {
			t.Errorf("%s %v: %d, want 400", path, form, got)
		}
	}
	// The dashboard's own form pauses the first release's rollout (no
	// worker runs here to end it).
	if got := post(t, noRedirects(jar), e.URL+"/apps/web/rollout/pause", url.Values{"csrf": {csrf}}, nil); got != http.StatusSeeOther {
		t.Errorf("pause from the dashboard's own form: %d, want 303", got)
	}
	// Only the dashboard's own form changed anything.
	recs, _, err := e.Store.Load(context.Background(), events.App("web"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var (
		scaled          []events.AppScaled
		started, paused int
	)
	for _, r := range recs {
		switch ev := r.Event.(type) {
		case events.AppScaled:
			scaled = append(scaled, ev)
		case events.RolloutStarted:
			started++ // the seed's deploy; a rollback would add one
		case events.RolloutPaused:
			paused++
		case events.RolloutResumed, events.RolloutRolledBack, events.RolloutStepped, events.RolloutSucceeded:
			t.Errorf("a refused rollout action appended %T", ev)
		}
	}
	if started != 1 || paused != 1 {
		t.Errorf("%d rollout_started and %d rollout_paused events, want the deploy's and the one from the dashboard's own form", started, paused)
	}
	if len(scaled) != 1 || scaled[0].Replicas != 4 {
		t.Fatalf("scale events %+v, want only the one to 4 replicas", scaled)
	}
}

// post sends a form and returns the status.
func post(t *testing.T, c *http.Client, u string, form url.Values, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
