package record_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/logpipe/record"
)

func TestJSONRoundTrip(t *testing.T) {
	in := record.Record{
		ID: record.NewID(), Time: time.Date(2024, 11, 23, 18, 0, 0, 123456000, time.UTC),
		App: "web", Instance: "web-3f2a1c", Host: "h1", Stream: record.StreamStderr,
		Severity: record.SeverityErr, Message: "boom", Raw: "<27>garbage", Malformed: true,
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out record.Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip changed the record:\n in %+v\nout %+v", in, out)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "time", "app", "instance", "host", "stream", "severity", "message", "raw", "malformed"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}

func TestIDsSortInCreationOrder(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = record.NewID()
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("IDs created in sequence do not sort in sequence")
	}
}

func TestSanitize(t *testing.T) {
	for _, in := range []string{"plain", "nul\x00byte", "bad \xff\xfe utf8", ""} {
		out := record.Sanitize(in)
		if !utf8.ValidString(out) {
			t.Errorf("Sanitize(%q) = %q is not UTF-8", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == 0 {
				t.Errorf("Sanitize(%q) = %q keeps a NUL", in, out)
			}
		}
	}
	if record.Sanitize("héllo") != "héllo" {
		t.Error("Sanitize changed valid text")
	}
}

func TestAppOfInstance(t *testing.T) {
	tests := []struct {
		in, app string
		ok      bool
	}{
		{"web-3f2a1c", "web", true},
		{"my-api-0a1b2c", "my-api", true},
		{"web", "", false},
		{"web-3F2A1C", "", false},
		{"web-3f2a1", "", false},
		{"4d2f0a9b8c7e", "", false},
	}
	for _, tt := range tests {
		app, ok := record.AppOfInstance(tt.in)
		if app != tt.app || ok != tt.ok {
			t.Errorf("AppOfInstance(%q) = %q, %v; want %q, %v", tt.in, app, ok, tt.app, tt.ok)
		}
	}
}

func TestNormalizeSeverity(t *testing.T) {
	tests := map[string]string{
		"err": "err", "ERROR": "err", "3": "err", "warn": "warning", "Informational": "info",
		"6": "info", "critical": "crit", "debug": "debug", "emergency": "emerg",
	}
	for in, want := range tests {
		if got, ok := record.NormalizeSeverity(in); !ok || got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := record.NormalizeSeverity("loud"); ok {
		t.Error("unknown severity accepted")
	}
	for code := 0; code < 8; code++ {
		if record.SeverityName(code) == "" {
			t.Errorf("code %d has no name", code)
		}
	}
	if record.SeverityName(8) != "" || record.SeverityName(-1) != "" {
		t.Error("out-of-range codes named")
	}
}

// AppOfInstance agrees with the pattern it replaces on every input tried.
func FuzzAppOfInstance(f *testing.F) {
	pattern := regexp.MustCompile(`^([a-z][a-z0-9-]*[a-z0-9])-[0-9a-f]{6}$`)
	for _, s := range []string{"web-3f2a1c", "a-000000", "ab-00000g", "-web-3f2a1c", "web--3f2a1c", "w-3f2a1c", "Web-3f2a1c", "web3f2a1c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		app, ok := record.AppOfInstance(s)
		m := pattern.FindStringSubmatch(s)
		if ok != (m != nil) || (ok && app != m[1]) {
			t.Fatalf("AppOfInstance(%q) = %q, %v; pattern says %v", s, app, ok, m)
		}
	})
}
