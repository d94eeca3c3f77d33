package buffer

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

func recordsOf(apps ...string) []record.Record {
	out := make([]record.Record, len(apps))
	for i, app := range apps {
		out[i] = record.Record{ID: fmt.Sprintf("id%02d", i), Time: time.Unix(0, 0).UTC(), App: app, Instance: app + "-0a0a0a", Message: "m"}
	}
	return out
}

func TestChunkRecords(t *testing.T) {
	lineLen := func(r record.Record) int { b, _ := appendRecord(nil, &r); return len(b) + 1 }
	one := lineLen(recordsOf("web")[0])
	tests := []struct {
		name       string
		apps       []string
		maxBytes   int
		maxRecords int
		want       []string // per chunk: subject app and the record IDs in it
	}{
		{"one subject fits", []string{"web", "web", "web"}, 1 << 20, 1000, []string{"web id00 id01 id02"}},
		{"by subject, order kept", []string{"web", "api", "web", "api", "web"}, 1 << 20, 1000,
			[]string{"web id00 id02 id04", "api id01 id03"}},
		{"count bound", []string{"web", "web", "web", "web", "web"}, 1 << 20, 2,
			[]string{"web id00 id01", "web id02 id03", "web id04"}},
		{"byte bound", []string{"web", "web", "web", "api"}, 2 * one, 1000,
			[]string{"web id00 id01", "web id02", "api id03"}},
		{"record over the byte bound alone", []string{"web", "web"}, one - 1, 1000,
			[]string{"web id00", "web id01"}},
		{"empty", nil, 1 << 20, 1000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := recordsOf(tt.apps...)
			chunks, err := chunkRecords(recs, tt.maxBytes, tt.maxRecords)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range chunks {
				decoded, bad := DecodeMessage(c.data)
				if bad != 0 || len(decoded) != c.n {
					t.Fatalf("chunk %s decodes to %d records, %d bad; holds %d", c.msgID(), len(decoded), bad, c.n)
				}
				if len(c.data) > tt.maxBytes && c.n > 1 {
					t.Fatalf("chunk of %d records is %d bytes, bound %d", c.n, len(c.data), tt.maxBytes)
				}
				s := decoded[0].App
				for _, r := range decoded {
					if Subject(r.App, r.Instance) != c.subject {
						t.Fatalf("record %s in chunk of subject %s", r.ID, c.subject)
					}
					s += " " + r.ID
				}
				if want := decoded[0].ID + "-" + decoded[len(decoded)-1].ID + "-" + fmt.Sprint(c.n); c.msgID() != want {
					t.Fatalf("msg id %s, want %s", c.msgID(), want)
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("chunks %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		ids     []string
		wantBad int
	}{
		{"one record without newline (before batching)", `{"id":"a","app":"web","message":"x"}`, []string{"a"}, 0},
		{"ndjson", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", []string{"a", "b"}, 0},
		{"bad lines skipped", "{\"id\":\"a\"}\nnot json\n{\"message\":\"no id\"}\n\n{\"id\":\"b\"}", []string{"a", "b"}, 2},
		{"nothing", "", nil, 0},
		{"garbage", "not json", nil, 1},
	}
	for _, tt := range tests {
		recs, bad := DecodeMessage([]byte(tt.data))
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, tt.ids) || bad != tt.wantBad {
			t.Errorf("%s: ids %q bad %d, want %q bad %d", tt.name, ids, bad, tt.ids, tt.wantBad)
		}
	}
}
