package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

func TestParse(t *testing.T) {
	utc := time.UTC
	received := time.Date(2024, 11, 23, 18, 0, 5, 0, utc)
	long := strings.Repeat("a", 38) + "x1"
	longInst := long + "-3f2a1c"
	tests := []struct {
		name  string
		frame string
		want  record.Record // ID is not compared
	}{
		{"docker rfc5424micro stdout",
			"<30>1 2024-11-23T18:00:00.123456Z dockerhost web/web-3f2a1c 123 web/web-3f2a1c - hello world\n",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 123456000, utc), App: "web", Instance: "web-3f2a1c",
				Host: "dockerhost", Stream: "stdout", Severity: "info", Message: "hello world"}},
		{"docker rfc5424 stderr",
			"<27>1 2024-11-23T19:00:00+01:00 dockerhost web/web-3f2a1c 123 web/web-3f2a1c - oops",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: "web", Instance: "web-3f2a1c",
				Host: "dockerhost", Stream: "stderr", Severity: "err", Message: "oops"}},
		{"docker rfc3164",
			"<30>Nov 23 17:59:59 dockerhost web/web-3f2a1c[123]: hello 3164\n",
			record.Record{Time: time.Date(2024, 11, 23, 17, 59, 59, 0, utc), App: "web", Instance: "web-3f2a1c",
				Host: "dockerhost", Stream: "stdout", Severity: "info", Message: "hello 3164"}},
		{"rfc3164 without host, single-digit day",
			"<27>Nov  3 18:00:00 web/web-3f2a1c[123]: bad thing",
			record.Record{Time: time.Date(2024, 11, 3, 18, 0, 0, 0, utc), App: "web", Instance: "web-3f2a1c",
				Stream: "stderr", Severity: "err", Message: "bad thing"}},
		{"rfc3164 from december read in january is last year",
			"<30>Dec 31 23:59:59 h web/web-3f2a1c: late",
			record.Record{Time: time.Date(2023, 12, 31, 23, 59, 59, 0, utc), App: "web", Instance: "web-3f2a1c",
				Host: "h", Stream: "stdout", Severity: "info", Message: "late"}},
		{"bare instance tag",
			"<30>1 2024-11-23T18:00:00Z h web-3f2a1c 1 web-3f2a1c - m",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: "web", Instance: "web-3f2a1c",
				Host: "h", Stream: "stdout", Severity: "info", Message: "m"}},
		{"tag longer than RFC 5424 allows",
			"<30>1 2024-11-23T18:00:00Z h " + long + "/" + longInst + " 9 " + long + "/" + longInst + " - long one",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: long, Instance: longInst,
				Host: "h", Stream: "stdout", Severity: "info", Message: "long one"}},
		{"structured data",
			`<14>1 2024-11-23T18:00:00Z h app - - [x@1 a="b\]c"][y@2] with sd`,
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: "app",
				Host: "h", Stream: "stdout", Severity: "info", Message: "with sd"}},
		{"empty message",
			"<30>1 2024-11-23T18:00:00Z h web/web-3f2a1c - - -",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: "web", Instance: "web-3f2a1c",
				Host: "h", Stream: "stdout", Severity: "info"}},
		{"garbage",
			"just some text",
			record.Record{Time: received, Stream: "stdout", Message: "just some text", Raw: "just some text", Malformed: true}},
		{"bad priority",
			"<999>1 2024-11-23T18:00:00Z h a - - - x",
			record.Record{Time: received, Stream: "stdout", Message: "<999>1 2024-11-23T18:00:00Z h a - - - x",
				Raw: "<999>1 2024-11-23T18:00:00Z h a - - - x", Malformed: true}},
		{"invalid utf-8 and NUL",
			"<30>1 2024-11-23T18:00:00Z h app - - - a\xffb\x00c",
			record.Record{Time: time.Date(2024, 11, 23, 18, 0, 0, 0, utc), App: "app",
				Host: "h", Stream: "stdout", Severity: "info", Message: "a\uFFFDb\uFFFDc"}},
	}
	p := NewParser(utc)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := received
			if strings.Contains(tt.name, "january") {
				rcv = time.Date(2024, 1, 1, 0, 0, 5, 0, utc)
			}
			got := p.Parse([]byte(tt.frame), rcv)
			if got.ID == "" {
				t.Error("no ID")
			}
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("time %v, want %v", got.Time, tt.want.Time)
			}
			got.ID, got.Time, tt.want.Time = "", time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseTag(t *testing.T) {
	tests := []struct{ tag, app, inst string }{
		{"web/web-3f2a1c", "web", "web-3f2a1c"},
		{"web-3f2a1c", "web", "web-3f2a1c"},
		{"4d2f0a9b8c7e", "4d2f0a9b8c7e", ""},
		{"web/", "web", ""},
		{"a/b/c", "a", "b/c"},
		{"", "", ""},
	}
	for _, tt := range tests {
		app, inst := ParseTag(tt.tag)
		if app != tt.app || inst != tt.inst {
			t.Errorf("ParseTag(%q) = %q, %q; want %q, %q", tt.tag, app, inst, tt.app, tt.inst)
		}
	}
}
