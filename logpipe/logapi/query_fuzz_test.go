package logapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseQuery: a search accepted from the query string never carries
// text Postgres or Elasticsearch would choke on.
func FuzzParseQuery(f *testing.F) {
	f.Add("error timeout", "web-0a1b2c", "2026-01-01T00:00:00Z", "10")
	f.Add("a\x00b", "", "", "")
	f.Add("\xff\xfe", "", "yesterday", "-1")
	f.Fuzz(func(t *testing.T, text, instance, since, limit string) {
		q := url.Values{"q": {text}, "instance": {instance}, "since": {since}, "limit": {limit}}
		r := httptest.NewRequest("GET", "/v1/apps/web/logs?"+q.Encode(), nil)
		r.SetPathValue("app", "web")
		got, err := parseQuery(r)
		if err != nil {
			return
		}
		for _, s := range []string{got.Text, got.Instance} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
