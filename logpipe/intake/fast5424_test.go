package intake

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

func TestFast5424TakesDockerFramesOnly(t *testing.T) {
	long := strings.Repeat("a", 49)
	tests := []struct {
		frame string
		take  bool
	}{
		{"<30>1 2024-11-23T18:00:00.123456Z dockerhost web/web-3f2a1c 123 web/web-3f2a1c - hello world", true},
		{"<27>1 2024-11-23T18:00:00Z dockerhost web-3f2a1c 123 web-3f2a1c - oops", true},
		{"<30>1 2024-02-29T23:59:59.5Z h app - - - m", true},
		{"<0>1 2024-11-23T18:00:00Z h - - - -", true},
		{"<191>1 2024-11-23T18:00:00Z h app 1 id - ", true},
		{"<30>1 2024-11-23T19:00:00+01:00 h app 1 id - zone offset", false},
		{`<14>1 2024-11-23T18:00:00Z h app - - [x@1 a="b"] structured data`, false},
		{"<30>Nov 23 17:59:59 dockerhost web/web-3f2a1c[123]: rfc3164", false},
		{"<30>1 2024-11-23T18:00:00Z h " + long + " 1 id - app name too long", false},
		{"<30>1 2024-11-23T18:00:00.1234567Z h app 1 id - seven digits", false},
		{"<30>1 2023-02-29T18:00:00Z h app 1 id - no such day", false},
		{"<030>1 2024-11-23T18:00:00Z h app 1 id - leading zero", false},
		{"<192>1 2024-11-23T18:00:00Z h app 1 id - priority too high", false},
		{"<30>2 2024-11-23T18:00:00Z h app 1 id - version 2", false},
		{"<30>1 - h app 1 id - no time", false},
		{"<30>1 2024-11-23T18:00:00Z h app 1 id -x", false},
		{"<30>1 2024-11-23T18:00:00Z h app 1 id", false},
		{"<30>1 2024-11-23T24:00:00Z h app 1 id - hour 24", false},
	}
	for _, tt := range tests {
		var f fast5424
		if _, ok := f.parse([]byte(tt.frame)); ok != tt.take {
			t.Errorf("fast path takes %q: %v, want %v", tt.frame, ok, tt.take)
		}
	}
}

// Every frame the fast path takes, go-syslog's RFC 5424 parser (as
// NewParser sets it up) takes too and reads the same; whole records agree
// with a parser without the fast path.
func FuzzFast5424AgreesWithGoSyslog(f *testing.F) {
	for _, seed := range []string{
		"<30>1 2024-11-23T18:00:00.123456Z dockerhost web/web-3f2a1c 123 web/web-3f2a1c - hello world",
		"<27>1 2024-11-23T18:00:00Z dockerhost web-3f2a1c 123 web-3f2a1c - oops \xff\x00",
		"<30>1 2000-02-29T23:59:59.5Z h app - - - m",
		"<0>1 0000-01-01T00:00:00Z - - - - -",
		"<191>1 2024-11-23T18:00:00Z h - 1 id - ",
		"<30>1 2024-11-23T19:00:00+01:00 h app 1 id - offset",
		`<14>1 2024-11-23T18:00:00Z h app - - [x@1 a="b"] sd`,
	} {
		f.Add([]byte(seed))
	}
	received := time.Date(2024, 11, 23, 18, 0, 5, 0, time.UTC)
	m := auto.NewMachine(auto.WithRFC5424Options(rfc5424.WithBestEffort()))
	f.Fuzz(func(t *testing.T, frame []byte) {
		frame = trimEnd(frame)
		var fast fast5424
		h, ok := fast.parse(frame)
		if !ok {
			return
		}
		msg, err := m.Parse(bytes.Clone(frame))
		if err != nil || msg == nil || !msg.Valid() {
			t.Fatalf("fast path took %q, go-syslog did not: %v", frame, err)
		}
		if _, is5424 := msg.(*rfc5424.SyslogMessage); !is5424 {
			t.Fatalf("go-syslog read %q as %T", frame, msg)
		}
		if want := headerOf(baseOf(msg)); h != want {
			t.Fatalf("frame %q:\nfast     %+v\ngo-syslog %+v", frame, h, want)
		}
		withFast, without := NewParser(time.UTC), NewParser(time.UTC)
		without.fast = nil
		a, b := withFast.Parse(frame, received), without.Parse(frame, received)
		a.ID, b.ID = "", ""
		if a != b {
			t.Fatalf("frame %q:\nwith fast path    %+v\nwithout fast path %+v", frame, a, b)
		}
	})
}
