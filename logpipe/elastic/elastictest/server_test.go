package elastictest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/logpipe/elastic/elastictest"
)

func do(t *testing.T, method, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// The stand-in refuses what a real node refuses, so a wrong request fails
// the test instead of passing against a lenient fake.
func TestRefusesWhatElasticsearchRefuses(t *testing.T) {
	es := elastictest.Start(t)
	bulk := `{"index":{"_index":"logs-1","_id":"a"}}` + "\n" + `{"n":1,"msg":"hello world"}` + "\n"
	if code, _ := do(t, "POST", es.URL+"/_bulk", "text/plain", bulk); code != http.StatusNotAcceptable {
		t.Errorf("bulk without ndjson content type: %d", code)
	}
	if code, body := do(t, "POST", es.URL+"/_bulk", "application/x-ndjson", bulk); code != 200 || body["errors"] != false {
		t.Fatalf("bulk: %d %v", code, body)
	}
	// Dynamic mapping made n a long: a string no longer fits.
	bad := `{"index":{"_index":"logs-1","_id":"b"}}` + "\n" + `{"n":"many"}` + "\n"
	code, body := do(t, "POST", es.URL+"/_bulk", "application/x-ndjson", bad)
	item := body["items"].([]any)[0].(map[string]any)["index"].(map[string]any)
	if code != 200 || body["errors"] != true || item["status"] != 400.0 {
		t.Fatalf("mapping conflict: %d %v", code, body)
	}
	for query, want := range map[string]int{
		`{"query":{"fuzzy_thing":{}}}`:         400,
		`{"sort":[{"msg":{"order":"desc"}}]}`:  400, // text field
		`{"sort":[{"nope":{"order":"desc"}}]}`: 400, // unmapped
		`{"query":{"match":{"msg":"HELLO"}}}`:  200,
		`{"size":10001}`:                       400,
	} {
		if code, body := do(t, "POST", es.URL+"/logs-*/_search", "application/json", query); code != want {
			t.Errorf("search %s: %d %v, want %d", query, code, body, want)
		}
	}
	if code, _ := do(t, "POST", es.URL+"/missing-*/_search", "application/json", `{}`); code != 404 {
		t.Errorf("search of no index without allow_no_indices: %d", code)
	}
	_, body = do(t, "POST", es.URL+"/logs-*/_search", "application/json", `{"query":{"match":{"msg":"HELLO"}}}`)
	if hits := body["hits"].(map[string]any)["hits"].([]any); len(hits) != 1 {
		t.Errorf("match is not case-insensitive: %v", body)
	}
}
