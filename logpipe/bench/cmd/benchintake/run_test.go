package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/bench"
)

// TestBenchintakeAcknowledgesEverythingSent runs the whole bench pipeline
// small: loggen's lines into benchintake, waited for on /stats, and the
// final report shows every line stored in BERTH_LOGS, batched.
func TestBenchintakeAcknowledgesEverythingSent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan [2]net.Addr, 1)
	var stdout bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-stats", "127.0.0.1:0", "-data", t.TempDir(), "-instances", "3"},
			&stdout, io.Discard, func(syslog, stats net.Addr) { addrs <- [2]net.Addr{syslog, stats} })
	}()
	var a [2]net.Addr
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("benchintake ended before serving: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("benchintake not ready after a minute")
	}

	const n = 1000
	if _, err := bench.Send(ctx, bench.SendConfig{Addr: a[0].String(), Conns: 2, Lines: n, Instances: 3, Hostname: "box"}); err != nil {
		t.Fatal(err)
	}
	waitCtx, stop := context.WithTimeout(ctx, time.Minute)
	defer stop()
	if _, err := bench.WaitFor(waitCtx, bench.Published("http://"+a[1].String()+"/stats"), n, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Records travel many to a message, so there are fewer messages than
	// lines; how many depends on intake's batching.
	got := stdout.String()
	msgs := strings.TrimSuffix(strings.TrimPrefix(got, "received=1000 published=1000 stored=1000 messages="), " malformed=0 dropped=0 publish_errors=0\n")
	if n, err := strconv.Atoi(msgs); err != nil || n < 3 || n >= 1000 {
		t.Fatalf("report %q, want every line received, published and stored, in 3..999 messages", got)
	}
}

func TestBenchintakeRejectsBadFlags(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "nowhere", "-instances", "-1"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "nowhere") || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("err = %v, want both problems", err)
	}
}
