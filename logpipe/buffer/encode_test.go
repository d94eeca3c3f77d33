package buffer

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

func TestAppendRecordWritesWhatEncodingJSONWrites(t *testing.T) {
	at := time.Date(2026, 11, 23, 20, 3, 51, 876582000, time.UTC)
	tests := []record.Record{
		{ID: "a", Time: at, App: "web", Message: "plain"},
		{ID: "b", Time: at.In(time.FixedZone("x", 3600)), App: "web", Instance: "web-3f2a1c", Host: "h1",
			Stream: record.StreamStderr, Severity: record.SeverityInfo, Message: "quote \" back \\ tab \t nl \n cr \r ctl \x01\x1f\b\f"},
		{ID: "c", Message: "invalid \xff utf8, é, 日本, \u2028\u2029, <html>&", Raw: "<30>1 raw", Malformed: true},
		{ID: "d", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), App: "", Message: ""},
	}
	for _, r := range tests {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
		got, err := appendRecord(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != want.String() {
			t.Errorf("record %s:\n got %s\nwant %s", r.ID, got, want.String())
		}
	}
	if _, err := appendRecord(nil, &record.Record{ID: "e", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("year 10000 encoded; encoding/json refuses it")
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	r := record.Record{ID: record.NewID(), Time: time.Now().UTC(), App: "web", Instance: "web-3f2a1c", Host: "h1",
		Stream: record.StreamStdout, Severity: record.SeverityInfo, Message: "seq=000125001 GET /api/v1/items?page=7 HTTP/1.1 200 1432 0.004s"}
	var buf []byte
	for b.Loop() {
		buf, _ = appendRecord(buf[:0], &r)
	}
}
