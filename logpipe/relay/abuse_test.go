package relay_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/relay"
)

func heapInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// The audit's attack on a relay: random bytes, a 10 MB line without a
// newline, absurd octet counts, 10k-element structured data, lines for
// an app that does not exist, and hundreds of idle connections. Now only
// the host's own instance's lines are stored, the junk is counted, idle
// connections are closed, connections are capped and memory comes back.
func TestRelayDropsJunkAndForgeriesAndBoundsConnections(t *testing.T) {
	js := connect(t, natstest.Start(t))
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	apps := relay.AppsFunc(func(id string) (string, bool) {
		if id == "web-0a1b2c" {
			return "web", true
		}
		return "", false
	})
	const maxConns, idleAbove = 100, 10
	r, err := relay.Listen(relay.Config{Addr: "127.0.0.1:0", Host: "h7", Intake: intake.Config{
		BatchWait: 5 * time.Millisecond, MaxConns: maxConns, IdleTimeout: 200 * time.Millisecond, IdleAbove: idleAbove}}, js, apps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	addr := r.Addr().String()
	base := heapInUse()

	send := func(payload []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write(payload)
	}
	junk := make([]byte, 1<<20)
	_, _ = rand.Read(junk)
	send(junk)
	send([]byte("<30>1 - - web-0a1b2c - - - " + strings.Repeat("x", 10<<20))) // no newline
	send([]byte("999999999999 <30>1 - - web-0a1b2c - - - absurd\n"))
	var sd strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sd, "[e%d@1 k=\"v\"]", i)
	}
	send([]byte(fmt.Sprintf("<30>1 %s h relweb-x 1 - %s big\n", time.Now().UTC().Format(time.RFC3339Nano), sd.String())))
	var forged strings.Builder
	for range 1000 {
		forged.WriteString(line("relweb-x", "forged") + line("api-00ff00", "not here"))
	}
	send([]byte(forged.String()))
	send([]byte(line("web-0a1b2c", "the real one")))

	// 300 idle connections: at most maxConns are accepted, and idle ones
	// are closed down to idleAbove.
	var idle []net.Conn
	for range 300 {
		if c, err := net.Dial("tcp", addr); err == nil {
			idle = append(idle, c)
		}
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	natstest.Eventually(t, 30*time.Second, "idle connections closed", func() bool {
		st := r.Stats()
		return st.RejectedConns > 0 && st.IdleClosed > 0 && st.Conns <= idleAbove
	})

	var stored []string
	natstest.Eventually(t, 30*time.Second, "the real line stored", func() bool {
		stored = stored[:0]
		for _, rec := range storedRecords(t, js) {
			stored = append(stored, rec.App+"/"+rec.Instance+": "+rec.Message)
		}
		for _, s := range stored {
			if s == "web/web-0a1b2c: the real one" {
				return true
			}
		}
		return false
	})
	for _, s := range stored {
		if !strings.HasPrefix(s, "web/web-0a1b2c: ") {
			t.Errorf("stored a record of no instance on this host: %.80s", s)
		}
	}
	st := r.Stats()
	if st.Unattributed < 2000 || st.Malformed == 0 {
		t.Errorf("stats %+v: want the forged lines counted as unattributed and malformed input counted", st)
	}
	for _, c := range idle {
		c.Close()
	}
	natstest.Eventually(t, 30*time.Second, "memory back near its baseline", func() bool {
		return heapInUse() < base+16<<20
	})
}
