package intake

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/logpipe/record"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"<30>1 2024-11-23T18:00:00.123456Z dockerhost web/web-3f2a1c 123 web/web-3f2a1c - hello world\n",
		"<27>1 2024-11-23T18:00:00Z h web/web-3f2a1c 1 web/web-3f2a1c - oops",
		"<30>Nov 23 18:00:00 dockerhost web/web-3f2a1c[123]: hello 3164",
		"<30>Nov  3 18:00:00 web/web-3f2a1c[123]: no host",
		`<14>1 2024-11-23T18:00:00Z h app - - [x@1 a="b\]c"][y@2] with sd`,
		"<30>1 2024-11-23T18:00:00Z h " + strings.Repeat("a", 60) + " 1 " + strings.Repeat("b", 40) + " - long",
		"<999>1 x", "<30>", "<>", "garbage", "", "\x00\xff", "<189>237: 000485: *Jan 8 19:46:03.295: %SYS-5-CONFIG_I: x",
	} {
		f.Add([]byte(seed))
	}
	received := time.Date(2024, 11, 23, 18, 0, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, frame []byte) {
		p := NewParser(time.UTC)
		in := bytes.Clone(frame)
		r := p.Parse(frame, received)
		if !bytes.Equal(in, frame) {
			t.Fatal("Parse modified its input")
		}
		if r.ID == "" || r.Time.IsZero() {
			t.Fatalf("no ID or time: %+v", r)
		}
		for _, s := range []string{r.App, r.Instance, r.Host, r.Stream, r.Severity, r.Message, r.Raw} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("unsafe text %q in %+v", s, r)
			}
		}
		if r.Stream != record.StreamStdout && r.Stream != record.StreamStderr {
			t.Fatalf("stream %q", r.Stream)
		}
		if _, ok := record.NormalizeSeverity(r.Severity); r.Severity != "" && !ok {
			t.Fatalf("severity %q", r.Severity)
		}
		trimmed := record.Sanitize(string(bytes.TrimRight(frame, "\r\n\x00")))
		if (r.Malformed && r.Raw != trimmed) || (!r.Malformed && r.Raw != "") {
			t.Fatalf("malformed %v with raw %q for frame %q", r.Malformed, r.Raw, frame)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back record.Record
		if err := json.Unmarshal(b, &back); err != nil || !back.Time.Equal(r.Time) {
			t.Fatalf("JSON round trip: %v, %v vs %v", err, back.Time, r.Time)
		}
		back.Time = r.Time
		if back != r {
			t.Fatalf("JSON round trip changed\n%+v\n%+v", r, back)
		}
	})
}
