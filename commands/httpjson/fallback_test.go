package httpjson_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/commands/httpjson"
)

func TestRoutedAnswers404And405AsJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/apps", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, []string{})
	})
	mux.HandleFunc("POST /v1/apps/{app}/scale", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 201, map[string]string{"app": r.PathValue("app")})
	})
	srv := httptest.NewServer(httpjson.Routed(mux))
	defer srv.Close()
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/nothing", 404, ""},
		{"GET", "/v1/apps/web/scale", 405, "POST"},
		{"DELETE", "/v1/apps", 405, "GET, HEAD"},
		{"GET", "/v1/apps", 200, ""},
		{"POST", "/v1/apps/web/scale", 201, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q (%v); want %d as JSON", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), err, c.status)
			continue
		}
		if m, ok := body.(map[string]any); ok && c.status == 201 && m["app"] != "web" {
			t.Errorf("path values lost: %v", body)
		}
		if c.status >= 400 {
			m, _ := body.(map[string]any)
			if msg, _ := m["error"].(string); msg == "" {
				t.Errorf("%s %s: no error message: %v", c.method, c.path, body)
			}
			if !strings.Contains(resp.Header.Get("Allow"), c.allow) {
				t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, resp.Header.Get("Allow"), c.allow)
			}
		}
	}
}
