package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGatewayRoundRobinsOverFlagEndpoints(t *testing.T) {
	var addrs []string
	for _, name := range []string{"a", "b"} {
		ip := map[string]string{"a": "127.0.0.2", "b": "127.0.0.3"}[name]
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, name)
		})}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		addrs = append(addrs, ln.Addr().String())
	}

	o, err := parseOptions([]string{"-listen", "127.0.0.1:0", "-app", "web", "-endpoints", strings.Join(addrs, ", ")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGateway(o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	get := func(host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The static table is installed by Serve's source goroutine; wait for it.
	for deadline := time.Now().Add(5 * time.Second); len(g.Table().Apps()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("routing table never installed")
		}
	}
	seen := map[string]int{}
	for range 4 {
		code, body := get("web.localhost")
		if code != http.StatusOK {
			t.Fatalf("status %d, body %q", code, body)
		}
		seen[body]++
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Errorf("want 2 requests on each endpoint, got %v", seen)
	}
	if code, _ := get("other.localhost"); code == http.StatusOK {
		t.Errorf("unknown app answered 200")
	}
}

func TestParseOptionsReportsEveryProblem(t *testing.T) {
	_, err := parseOptions([]string{"-app", "", "-endpoints", "nohost", "-pprof", "127.0.0.1:18080"}, io.Discard)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"app is empty", `endpoint "nohost"`, "pprof address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := parseOptions(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "no endpoints") {
		t.Errorf("no -endpoints: got %v", err)
	}
}

func TestWeightsMakeReleases(t *testing.T) {
	o, err := parseOptions([]string{"-endpoints", "127.0.0.2:1,127.0.0.3:1", "-weights", "1, 3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := table(o.App, o.Endpoints, o.Weights)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tb.App("web")
	count := map[int]int{}
	for _, r := range a.Schedule() {
		count[r]++
	}
	if count[1] != 1 || count[2] != 3 || a.Endpoints[1].Release != 2 {
		t.Errorf("schedule %v over %+v, want release 1 once and 2 three times", a.Schedule(), a.Endpoints)
	}

	_, err = parseOptions([]string{"-endpoints", "127.0.0.2:1,127.0.0.3:1", "-weights", "x,1,-2,3"}, io.Discard)
	for _, want := range []string{`weight "x"`, "3 weights for 2 endpoints", "weight -2 is outside"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
