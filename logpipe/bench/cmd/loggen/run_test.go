package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoggenWaitsForTheReceiversFile plays rsyslog's part: a listener
// appending every byte received to a file, which loggen watches.
func TestLoggenWaitsForTheReceiversFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.log")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(f, c) // *os.File writes are safe for concurrent use
			}()
		}
	}()

	var stdout bytes.Buffer
	err = run(context.Background(), []string{"-addr", ln.Addr().String(), "-lines", "100", "-conns", "2", "-wait-file", out}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "lines=100 ") || !strings.Contains(stdout.String(), "lines_per_s=") {
		t.Fatalf("output %q", stdout.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != 100 {
		t.Fatalf("receiver got %d lines, want 100", n)
	}
}

func TestLoggenRejectsBadFlags(t *testing.T) {
	err := run(context.Background(), []string{"-lines", "0", "-wait-file", "a", "-wait-stats", "b"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "exclude") || !strings.Contains(err.Error(), "positive") {
		t.Fatalf("err = %v, want both problems", err)
	}
}
