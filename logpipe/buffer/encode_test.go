package buffer

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

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

// appendRecord writes byte for byte what encoding/json writes, and that
// decodes back to the record, for any text and any time it accepts.
func FuzzAppendRecord(f *testing.F) {
	f.Add("web", "web-3f2a1c", "seq=000125001 GET /api/v1/items?page=7 ua=\"Mozilla/5.0 (X11; Linux)\"", "", int64(1795464231876582000), 0, false)
	f.Add("", "", "quote \" back \\ tab \t nl \n ctl \x01\x1f\x7f", "<30>1 raw", int64(0), 3600, true)
	f.Add("日本", "x\xffy", "invalid \xff\xfe utf8, é, \u2028\u2029 <html>&", "\x00", int64(-6000000000000000001), -19800, false)
	f.Add("a", "b", "12345678abcdefgh\"2345678", "", int64(1700000000000000000), 0, false)
	f.Fuzz(func(t *testing.T, app, inst, msg, raw string, unixNano int64, offset int, malformed bool) {
		at := time.Unix(0, unixNano).UTC()
		if offset != 0 {
			at = at.In(time.FixedZone("z", offset%(18*60)*60)) // RFC 3339 offsets are whole minutes
		}
		r := record.Record{ID: "id-" + inst, Time: at, App: app, Instance: inst, Host: app + inst,
			Stream: record.StreamStdout, Severity: record.SeverityInfo, Message: msg, Raw: raw, Malformed: malformed}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(&r)
		got, err := appendRecord(nil, &r)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("appendRecord error %v, encoding/json error %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if string(got)+"\n" != want.String() {
			t.Fatalf("\n got %s\nwant %s", got, want.String())
		}
		var back record.Record
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("decode %s: %v", got, err)
		}
		if utf8.ValidString(msg) != (back.Message == msg) || !back.Time.Equal(r.Time) || back.Malformed != r.Malformed {
			t.Fatalf("round trip changed %+v into %+v", r, back)
		}
	})
}
