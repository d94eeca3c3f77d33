package intake_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/record"
)

func TestDockerFormatsOverEveryTransport(t *testing.T) {
	type format struct {
		name      string
		build     func(pri int, ts time.Time, host, tag, msg string) string
		precision time.Duration
		hasHost   bool
	}
	formats := []format{
		{"rfc5424", rfc5424, time.Second, true},
		{"rfc5424micro", rfc5424micro, time.Microsecond, true},
		{"rfc3164", rfc3164, time.Second, true},
		{"default", unixFormat, time.Second, false},
	}
	transports := []string{"tcp", "tcp+octet", "udp"}

	sink := &collector{}
	srv, _ := start(t, intake.Config{}, sink)
	ts := time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond).Add(123456 * time.Microsecond)
	type sent struct {
		format   format
		stderr   bool
		instance string
	}
	want := map[string]sent{}
	for _, tr := range transports {
		var c = dial(t, strings.TrimSuffix(tr, "+octet"), srv.TCPAddr())
		if tr == "udp" {
			c = dial(t, "udp", srv.UDPAddr())
		}
		for _, f := range formats {
			for _, stderr := range []bool{false, true} {
				pri, inst := stdoutPri, "web-3f2a1c"
				if stderr {
					pri, inst = stderrPri, "web-0b0b0b"
				}
				msg := fmt.Sprintf("%s %s stderr=%v: GET /index.html 200", tr, f.name, stderr)
				line := f.build(pri, ts, "dockerhost", "web/"+inst, msg)
				if tr == "tcp+octet" {
					line = octetCounted(line)
				}
				write(t, c, line)
				want[msg] = sent{f, stderr, inst}
			}
		}
	}

	eventually(t, "every message", func() bool { return len(sink.records()) >= len(want) })
	got := sink.records()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for _, r := range got {
		s, ok := want[r.Message]
		if !ok {
			t.Errorf("unexpected record %+v", r)
			continue
		}
		stream, sev := record.StreamStdout, record.SeverityInfo
		if s.stderr {
			stream, sev = record.StreamStderr, record.SeverityErr
		}
		host := ""
		if s.format.hasHost {
			host = "dockerhost"
		}
		if r.App != "web" || r.Instance != s.instance || r.Host != host || r.Stream != stream || r.Severity != sev || r.Malformed || r.ID == "" {
			t.Errorf("%q parsed as %+v", r.Message, r)
		}
		if !r.Time.Equal(ts.Truncate(s.format.precision)) {
			t.Errorf("%q time %v, want %v", r.Message, r.Time, ts.Truncate(s.format.precision))
		}
	}
	if st := srv.Stats(); st.Received != uint64(len(want)) || st.Published != uint64(len(want)) || st.Malformed != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMalformedIsKeptAndTheConnectionSurvives(t *testing.T) {
	sink := &collector{}
	srv, _ := start(t, intake.Config{}, sink)
	c := dial(t, "tcp", srv.TCPAddr())
	write(t, c, "this is not syslog\n<999>1 bad priority\n")
	write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", "still here"))
	u := dial(t, "udp", srv.UDPAddr())
	write(t, u, "\xff\xfe binary \x00 junk")

	eventually(t, "4 records", func() bool { return len(sink.records()) == 4 })
	byMsg := map[string]record.Record{}
	for _, r := range sink.records() {
		byMsg[r.Raw+"|"+r.Message] = r
	}
	for _, raw := range []string{"this is not syslog", "<999>1 bad priority", "\uFFFD binary \uFFFD junk"} {
		r, ok := byMsg[raw+"|"+raw]
		if !ok || !r.Malformed || r.ID == "" || r.Time.IsZero() {
			t.Errorf("malformed %q not kept as raw: %+v", raw, sink.records())
		}
	}
	if r, ok := byMsg["|still here"]; !ok || r.Malformed || r.App != "web" {
		t.Errorf("good line after garbage: %+v", r)
	}
	if st := srv.Stats(); st.Malformed != 3 || st.Received != 4 {
		t.Errorf("stats %+v, want 3 malformed of 4", st)
	}
}

func TestLongMessagesAreTruncated(t *testing.T) {
	sink := &collector{}
	srv, _ := start(t, intake.Config{MaxMessageBytes: 300}, sink)
	c := dial(t, "tcp", srv.TCPAddr())
	write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", strings.Repeat("x", 1000)))
	write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", "next"))

	eventually(t, "2 records", func() bool { return len(sink.records()) == 2 })
	r := sink.records()
	if r[0].App != "web" || !strings.HasPrefix(r[0].Message, "xxx") || len(r[0].Message) >= 300 {
		t.Errorf("long line: app %q message of %d bytes", r[0].App, len(r[0].Message))
	}
	if r[1].Message != "next" {
		t.Errorf("line after the long one: %+v", r[1])
	}
	if st := srv.Stats(); st.Truncated != 1 {
		t.Errorf("truncated %d, want 1", st.Truncated)
	}
}

func TestTCPBackpressureWhenSinkIsSlow(t *testing.T) {
	sink := newGated()
	cfg := intake.Config{MaxMessageBytes: 1024, MaxQueueBytes: 64 << 10, BatchSize: 16, Flushers: 1}
	srv, _ := start(t, cfg, sink)
	c := dial(t, "tcp", srv.TCPAddr())

	// Far more than the queue plus the kernel's socket buffers (tcp_rmem
	// and tcp_wmem maxima; 36 MiB together here) can hold: 50k lines of ~870
	// bytes.
	const n = 50_000
	pad := strings.Repeat("p", 800)
	writerDone := make(chan error, 1)
	go func() {
		var b strings.Builder
		for i := range n {
			b.WriteString(rfc5424micro(stdoutPri, time.Now(), "h", "web/web-3f2a1c", fmt.Sprintf("line %06d %s", i, pad)))
			if b.Len() > 64<<10 || i == n-1 {
				if _, err := io.WriteString(c, b.String()); err != nil {
					writerDone <- err
					return
				}
				b.Reset()
			}
		}
		writerDone <- nil
	}()

	eventually(t, "the reader to pause", func() bool { return srv.Stats().Paused > 0 })
	st := srv.Stats()
	if st.QueuedBytes > cfg.MaxQueueBytes || st.Published != 0 || st.Dropped != 0 {
		t.Fatalf("while paused: %+v", st)
	}
	select {
	case err := <-writerDone:
		t.Fatalf("sender finished (%v) although nothing was acknowledged: no backpressure", err)
	default:
	}

	sink.open()
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	eventually(t, "every line", func() bool { return srv.Stats().Published == n })
	got := sink.records()
	for i, r := range got {
		if want := fmt.Sprintf("line %06d %s", i, pad); r.Message != want {
			t.Fatalf("record %d is %q, want %q", i, r.Message, want)
		}
	}
	if st := srv.Stats(); st.Dropped != 0 || st.Received != n {
		t.Fatalf("stats %+v", st)
	}
}

func TestUDPDropsAndCountsWhenFull(t *testing.T) {
	sink := newGated()
	srv, _ := start(t, intake.Config{MaxMessageBytes: 1024, MaxQueueBytes: 16 << 10, BatchSize: 8, Flushers: 1}, sink)
	c := dial(t, "udp", srv.UDPAddr())
	const n = 500
	for i := range n {
		write(t, c, rfc3164(stdoutPri, time.Now(), "h", "web/web-3f2a1c", fmt.Sprintf("datagram %d", i)))
	}
	eventually(t, "every datagram read", func() bool { return srv.Stats().Received == n })
	sink.open()
	eventually(t, "queue to drain", func() bool {
		st := srv.Stats()
		return st.Published+st.Dropped == n && st.QueuedBytes == 0
	})
	st := srv.Stats()
	if st.Dropped == 0 || st.Published == 0 || uint64(len(sink.records())) != st.Published {
		t.Fatalf("stats %+v with %d records published; want some dropped, the rest published", st, len(sink.records()))
	}
}

func TestFailedPublishIsRetried(t *testing.T) {
	sink := &collector{failures: 3}
	srv, _ := start(t, intake.Config{BatchSize: 100}, sink)
	c := dial(t, "tcp", srv.TCPAddr())
	for i := range 10 {
		write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", fmt.Sprint("retry ", i)))
	}
	eventually(t, "10 records", func() bool { return len(sink.records()) == 10 })
	if st := srv.Stats(); st.PublishErrors != 3 || st.Published != 10 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestShutdownFlushesWhatWasReceived(t *testing.T) {
	sink := &collector{}
	// A long batch wait: only the shutdown flush can deliver these.
	srv, stop := start(t, intake.Config{BatchSize: 1000, BatchWait: time.Hour}, sink)
	c := dial(t, "tcp", srv.TCPAddr())
	for i := range 50 {
		write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", fmt.Sprint("bye ", i)))
	}
	eventually(t, "50 received", func() bool { return srv.Stats().Received == 50 })
	stop()
	if got := len(sink.records()); got != 50 {
		t.Fatalf("%d records published at shutdown, want 50", got)
	}
}

func TestShutdownGivesUpAfterDrainTimeout(t *testing.T) {
	sink := newGated() // never opens
	srv, stop := start(t, intake.Config{DrainTimeout: 100 * time.Millisecond}, sink)
	c := dial(t, "udp", srv.UDPAddr())
	for i := range 5 {
		write(t, c, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", fmt.Sprint("stuck ", i)))
	}
	eventually(t, "5 received", func() bool { return srv.Stats().Received == 5 })
	stop()
	if st := srv.Stats(); st.Dropped != 5 || st.Published != 0 {
		t.Fatalf("stats %+v, want 5 dropped", st)
	}
}

func TestConnectionsOverMaxAreRefused(t *testing.T) {
	sink := &collector{}
	srv, _ := start(t, intake.Config{MaxConns: 1}, sink)
	a := dial(t, "tcp", srv.TCPAddr())
	write(t, a, rfc5424(stdoutPri, time.Now(), "h", "web/web-3f2a1c", "first"))
	eventually(t, "first connection counted", func() bool { return srv.Stats().Conns == 1 })
	b := dial(t, "tcp", srv.TCPAddr())
	b.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("second connection read: %v, want EOF", err)
	}
	if st := srv.Stats(); st.RejectedConns != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestListenValidates(t *testing.T) {
	_, err := intake.Listen(intake.Config{DisableTCP: true, DisableUDP: true, MaxMessageBytes: 10, BatchSize: -1}, nil)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"both TCP and UDP", "max message bytes", "batch size", "sink is nil"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	srv, err := intake.Listen(intake.Config{TCPAddr: "127.0.0.1:0", DisableUDP: true}, &collector{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := intake.Listen(intake.Config{TCPAddr: srv.TCPAddr().String(), DisableUDP: true}, &collector{}); err == nil {
		t.Fatal("second listener on a bound port")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(ctx); err == nil {
		t.Fatal("second Run accepted")
	}
}
