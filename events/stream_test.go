package events_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// history appends n events of about size bytes each to app.
func history(t *testing.T, st *events.Store, app string, n, size int) { historyB(t, st, app, n, size) }

func historyB(t testing.TB, st *events.Store, app string, n, size int) {
	t.Helper()
	pad := strings.Repeat("x", size)
	for i := 0; i < n; i += 100 {
		var evs []events.Event
		for j := i; j < min(n, i+100); j++ {
			evs = append(evs, events.AppDeployed{App: app, Version: j + 1,
				Spec: events.Spec{Image: "nginx", Replicas: 1, Env: map[string]string{"PAD": pad}}})
		}
		if _, err := st.Append(context.Background(), events.App(app), events.ExpectAny, evs, events.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// sse is one stream client; it reads only when asked to.
type sse struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// openStream connects with a small receive buffer, so a client that stops
// reading pushes back on the server quickly, as a slow client does.
func openStream(t *testing.T, url string, header map[string]string) *sse {
	t.Helper()
	return openStreamHeader(t, url, header)
}

func openStreamB(t testing.TB, url string) *sse { return openStreamHeader(t, url, nil) }

func openStreamHeader(t testing.TB, url string, header map[string]string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sse{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sse) close() { s.cancel(); s.resp.Body.Close() }

// next returns the next event's id line, skipping comments.
func (s *sse) next(t *testing.T) string {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			return id
		}
	}
}

// The audit's finding: 300 stream clients replaying the whole history took
// the server to 2.7 GB and starved commands. Now a stream starts at the
// tail unless asked, pages through history, is capped in number, and a
// client that stops reading is dropped, while appends keep succeeding.
func TestEventStreamIsBoundedAndNeverStarvesAppends(t *testing.T) {
	ns := natstest.Start(t)
	cmds := natstest.StoreOn(t, natstest.Connect(t, ns), "test")
	streams := natstest.StoreOn(t, natstest.Connect(t, ns), "test")
	history(t, cmds, "web", 4000, 2048) // ~8 MB, more than socket buffers hold
	srv := httptest.NewServer(streams.StreamHandler(events.StreamConfig{
		MaxStreams: 3, WriteTimeout: 300 * time.Millisecond, Window: 16}))
	defer srv.Close()

	// No Last-Event-ID, after or since: the tail, not the history.
	tail := openStream(t, srv.URL+"/v1/events/stream", nil)
	if tail.resp.StatusCode != 200 {
		t.Fatalf("stream: %d", tail.resp.StatusCode)
	}
	if _, err := tail.r.ReadString('\n'); err != nil { // ": streaming"
		t.Fatal(err)
	}
	ap, err := cmds.Append(context.Background(), events.App("api"), events.ExpectAny, []events.Event{events.AppStopped{App: "api"}}, events.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id := tail.next(t); id != fmt.Sprint(ap.Seq) {
		t.Fatalf("tail stream's first event is %s, want the new one %d", id, ap.Seq)
	}
	// Resuming asks for more, and gets exactly what follows.
	resumed := openStream(t, srv.URL+"/v1/events/stream", map[string]string{"Last-Event-ID": "3998"})
	if id := resumed.next(t); id != "3999" {
		t.Fatalf("resumed stream starts at %s, want 3999", id)
	}
	resumed.close()
	tail.close()

	// Three clients replay everything and stop reading; a fourth is refused.
	var slow []*sse
	natstest.Eventually(t, 10*time.Second, "three streams admitted", func() bool {
		s := openStream(t, srv.URL+"/v1/events/stream?after=0", nil)
		if s.resp.StatusCode != 200 {
			s.close()
			return false
		}
		slow = append(slow, s)
		return len(slow) == 3
	})
	extra := openStream(t, srv.URL+"/v1/events/stream?after=0", nil)
	if extra.resp.StatusCode != http.StatusTooManyRequests || extra.resp.Header.Get("Retry-After") == "" {
		t.Fatalf("stream beyond the cap: %d", extra.resp.StatusCode)
	}
	extra.close()
	// Commands keep going meanwhile.
	for i := range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := cmds.Append(ctx, events.App("api"), events.ExpectAny, []events.Event{events.AppScaled{App: "api", Replicas: i}}, events.AppendOptions{})
		cancel()
		if err != nil {
			t.Fatalf("append %d while streams replay: %v", i, err)
		}
	}
	// The clients that stopped reading are dropped, which frees their slots.
	natstest.Poll(t, 30*time.Second, 100*time.Millisecond, "slow clients dropped", func() bool {
		s := openStream(t, srv.URL+"/v1/events/stream", nil)
		defer s.close()
		return s.resp.StatusCode == 200
	})
}

func TestEventStreamRejectsBadStart(t *testing.T) {
	st := natstest.Store(t, "test")
	srv := httptest.NewServer(st.StreamHandler(events.StreamConfig{}))
	defer srv.Close()
	for _, q := range []string{"after=x", "since=yesterday", "app=a.b"} {
		resp, err := http.Get(srv.URL + "/v1/events/stream?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("?%s: %d %s", q, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
