package bench_test

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/bench"
	"github.com/berth-dev/berth/logpipe/intake"
)

// listen accepts connections on a random loopback port and hands every
// line received to got.
func listen(t *testing.T, got func(line string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					mu.Lock()
					got(sc.Text())
					mu.Unlock()
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSendDeliversEveryLineAsDockerWould(t *testing.T) {
	var (
		mu    sync.Mutex
		lines []string
	)
	addr := listen(t, func(l string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, l)
	})
	const n = 100
	res, err := bench.Send(context.Background(), bench.SendConfig{Addr: addr, Conns: 3, Lines: n, Instances: 4, Hostname: "box"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != n || res.Bytes == 0 {
		t.Fatalf("result %+v", res)
	}
	count := func(context.Context) (uint64, error) {
		mu.Lock()
		defer mu.Unlock()
		return uint64(len(lines)), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := bench.WaitFor(ctx, count, n, time.Millisecond); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	known := map[string]bool{}
	for i := range 4 {
		known[bench.InstanceID(i)] = true
	}
	seen := map[int]bool{}
	p := intake.NewParser(time.UTC)
	for _, l := range lines {
		r := p.Parse([]byte(l), time.Now())
		if r.Malformed || r.App != bench.App || !known[r.Instance] || r.Host != "box" || r.Severity != "info" {
			t.Fatalf("line %q parsed as %+v", l, r)
		}
		if time.Since(r.Time) > time.Minute || r.Time.Nanosecond()%1000 != 0 {
			t.Errorf("timestamp %v is not a recent rfc5424micro time", r.Time)
		}
		seq, err := strconv.Atoi(strings.Fields(strings.TrimPrefix(r.Message, "seq="))[0])
		if err != nil || seen[seq] || seq < 0 || seq >= n {
			t.Fatalf("message %q: bad or repeated sequence number", r.Message)
		}
		seen[seq] = true
		if len(r.Message) < 90 || len(r.Message) > 110 {
			t.Errorf("message is %d bytes, want about 100", len(r.Message))
		}
	}
	if len(lines) != n {
		t.Fatalf("received %d lines, want %d", len(lines), n)
	}
}

func TestInstanceIDsAreBerthInstanceIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := range 64 {
		id := bench.InstanceID(i)
		app, inst := intake.ParseTag(id)
		if app != bench.App || inst != id || seen[id] {
			t.Fatalf("InstanceID(%d) = %q: parsed as %q/%q or repeated", i, id, app, inst)
		}
		seen[id] = true
	}
}

func TestSendConfigReportsEveryProblem(t *testing.T) {
	err := bench.SendConfig{Addr: "nowhere", Conns: 0, Lines: 0}.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"addr", "must be positive", "hostname"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
