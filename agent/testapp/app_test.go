package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestServer(t *testing.T) (*httptest.Server, *syncBuffer, chan int) {
	t.Helper()
	out := &syncBuffer{}
	exits := make(chan int, 1)
	cfg := config{Port: "0", App: "web", Instance: "web-3f2a1c", HostIP: "127.0.0.2"}
	srv := httptest.NewServer(newApp(cfg, out, func(code int) { exits <- code }).routes())
	t.Cleanup(srv.Close)
	return srv, out, exits
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestIdentity(t *testing.T) {
	srv, _, _ := newTestServer(t)
	code, body := get(t, srv.URL+"/?delay=1&burn=1")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %q", code, body)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	if got["app"] != "web" || got["instance"] != "web-3f2a1c" || got["host"] != "127.0.0.2" || got["hostname"] == "" {
		t.Fatalf("identity = %v", got)
	}
}

func TestFailHealth(t *testing.T) {
	srv, _, _ := newTestServer(t)
	if code, body := get(t, srv.URL+"/_ping"); code != 200 || body != "ok" {
		t.Fatalf("ping before = %d %q", code, body)
	}
	get(t, srv.URL+"/fail-health")
	if code, _ := get(t, srv.URL+"/_ping"); code != http.StatusInternalServerError {
		t.Fatalf("ping after fail-health = %d, want 500", code)
	}
}

func TestLogLinesAndRequestLog(t *testing.T) {
	srv, out, _ := newTestServer(t)
	get(t, srv.URL+"/log?line=hello+berth&n=3")
	if n := strings.Count(out.String(), "hello berth\n"); n != 3 {
		t.Fatalf("logged %d lines, want 3; out:\n%s", n, out)
	}
	if !strings.Contains(out.String(), `uri="/log?line=hello+berth&n=3"`) {
		t.Fatalf("request not logged; out:\n%s", out)
	}
}

func TestExit(t *testing.T) {
	srv, _, exits := newTestServer(t)
	get(t, srv.URL+"/exit?code=3")
	if code := <-exits; code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
}

func TestAlloc(t *testing.T) {
	srv, _, _ := newTestServer(t)
	get(t, srv.URL+"/alloc?mb=2")
	if _, body := get(t, srv.URL+"/alloc?mb=3"); !strings.Contains(body, "holding 5 MiB") {
		t.Fatalf("alloc body %q", body)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"TESTAPP_LOG_EVERY": "250ms"}
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.Port != "8080" || cfg.LogEvery.Milliseconds() != 250 {
		t.Fatalf("cfg = %+v, err %v", cfg, err)
	}
	env["TESTAPP_LOG_EVERY"] = "soon"
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("want error for bad TESTAPP_LOG_EVERY")
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func TestTicksStopReportsLinesWritten(t *testing.T) {
	srv, out, _ := newTestServer(t)
	for _, path := range []string{"/ticks", "/ticks/stop"} {
		if code, _ := get(t, srv.URL+path); code != http.StatusNotFound {
			t.Fatalf("%s without a ticker: %d, want 404", path, code)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tk := startTicker(ctx, time.Millisecond, out)
	for !strings.Contains(out.String(), "tick 5\n") {
		time.Sleep(time.Millisecond)
	}
	if w := tk.Written(); w < 5 {
		t.Fatalf("Written = %d after tick 5", w)
	}
	n := tk.Stop()
	if got := strings.Count(out.String(), "tick "); got != n || n < 5 {
		t.Fatalf("Stop = %d, output holds %d tick lines", n, got)
	}
	if again := tk.Stop(); again != n {
		t.Fatalf("second Stop = %d, want %d", again, n)
	}
}

func TestFailRateFailsEvenly(t *testing.T) {
	a := newApp(config{FailRate: 0.5}, io.Discard, func(int) {})
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	var codes []int
	for range 10 {
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	fails := 0
	for i, c := range codes {
		if c == http.StatusInternalServerError {
			fails++
			if i > 0 && codes[i-1] == c {
				t.Errorf("two failures in a row at %d: %v", i, codes)
			}
		}
	}
	if fails != 5 {
		t.Errorf("%d of 10 failed, want 5: %v", fails, codes)
	}
}
