package relay

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/docker/docker/pkg/stdcopy"

	"github.com/berth-dev/berth/logpipe/record"
)

// Docker's multiplexed, timestamped log lines become records of the right
// stream, only those strictly inside the window, at microsecond precision.
func TestLineCollectorKeepsTheWindow(t *testing.T) {
	after := time.Date(2026, 11, 23, 22, 0, 0, 5000, time.UTC) // 22:00:00.000005
	until := after.Add(time.Second)
	var raw bytes.Buffer
	out := stdcopy.NewStdWriter(&raw, stdcopy.Stdout)
	errw := stdcopy.NewStdWriter(&raw, stdcopy.Stderr)
	out.Write([]byte("2026-11-23T22:00:00.000005900Z same microsecond as the last record\n"))
	out.Write([]byte("2026-11-23T22:00:00.000006000Z first new line\r\n"))
	errw.Write([]byte("2026-11-23T22:00:00.5Z an error\n"))
	out.Write([]byte("2026-11-23T22:00:01.000005Z at until: the intake's\n"))
	out.Write([]byte("not a timestamped line\n"))
	out.Write([]byte("2026-11-23T22:00:00.7Z split "))
	out.Write([]byte("across writes\n"))
	out.Write([]byte("2026-11-23T22:00:00.8Z no newline at the end"))

	l := &lineCollector{after: after, until: until, base: record.Record{App: "web", Instance: "web-0a1b2c"}}
	so, se := l.stream(record.StreamStdout), l.stream(record.StreamStderr)
	if _, err := stdcopy.StdCopy(so, se, &raw); err != nil {
		t.Fatal(err)
	}
	so.flush()
	se.flush()

	want := []struct{ stream, msg string }{
		{record.StreamStdout, "first new line"},
		{record.StreamStderr, "an error"},
		{record.StreamStdout, "split across writes"},
		{record.StreamStdout, "no newline at the end"},
	}
	if len(l.recs) != len(want) {
		t.Fatalf("got %d records %+v, want %d", len(l.recs), l.recs, len(want))
	}
	got := map[string]record.Record{}
	for _, r := range l.recs {
		got[r.Message] = r
	}
	for _, w := range want {
		r, ok := got[w.msg]
		if !ok || r.Stream != w.stream || r.App != "web" || r.Instance != "web-0a1b2c" {
			t.Errorf("%q: got %+v", w.msg, r)
		}
		if r.Time.Nanosecond()%1000 != 0 {
			t.Errorf("%q: time %v not truncated to microseconds", w.msg, r.Time)
		}
	}
}

func FuzzLineCollector(f *testing.F) {
	f.Add([]byte("2026-11-23T22:00:00.5Z hello\n2026-11-23T22:00:00.6Z world"))
	f.Add([]byte("garbage\n\n \n2026-13-45T99:00:00Z x\n"))
	after := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	until := after.Add(time.Second)
	f.Fuzz(func(t *testing.T, data []byte) {
		l := &lineCollector{after: after, until: until}
		w := l.stream(record.StreamStdout)
		for len(data) > 0 { // in pieces, as frames arrive
			n := min(len(data), 7)
			w.Write(data[:n])
			data = data[n:]
		}
		w.flush()
		for _, r := range l.recs {
			if !r.Time.After(after) || !r.Time.Before(until) {
				t.Fatalf("record at %v outside (%v, %v)", r.Time, after, until)
			}
			if bytes.ContainsAny([]byte(r.Message), "\n") {
				t.Fatalf("message %q holds a newline", r.Message)
			}
		}
	})
}

// A line stamped before the relay started but delivered over syslog after
// it is not recovered from Docker's cache again; the wait for the
// pipeline ends as soon as a line stamped after the start arrives.
func TestBoundarySkipsWhatSyslogDelivered(t *testing.T) {
	started := time.Date(2026, 11, 23, 22, 0, 1, 0, time.UTC)
	b := newBoundary(started)
	early := record.Record{Instance: "web-0a1b2c", Message: "tick 7", Time: started.Add(-3 * time.Microsecond).In(time.FixedZone("", 3600))}
	b.observe([]record.Record{early})
	fromCache := record.Record{Instance: "web-0a1b2c", Message: "tick 7", Time: started.Add(-3 * time.Microsecond)}
	if !b.delivered(fromCache) {
		t.Fatal("a line syslog delivered (in another zone) would be recovered twice")
	}
	if b.delivered(record.Record{Instance: "web-0a1b2c", Message: "tick 6", Time: started.Add(-time.Millisecond)}) {
		t.Fatal("a line syslog never delivered counts as delivered")
	}
	done := make(chan struct{})
	go func() {
		b.wait(context.Background(), "web-0a1b2c", time.Hour)
		close(done)
	}()
	b.observe([]record.Record{{Instance: "web-0a1b2c", Message: "tick 8", Time: started.Add(time.Millisecond)}})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not end when a line stamped after the start arrived")
	}
	b.settle()
	b.observe([]record.Record{early}) // after the backfill: not looked at, no panic
	if b.delivered(fromCache) {
		t.Fatal("a settled boundary still holds what it noted")
	}
}
