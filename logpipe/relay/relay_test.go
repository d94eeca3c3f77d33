package relay_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/relay"
)

func connect(t *testing.T, srv *natsserver.Server) jetstream.JetStream {
	t.Helper()
	return natstest.JetStream(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
}

// start runs a relay for host "h7" that knows instance web-0a1b2c.
func start(t *testing.T, js jetstream.JetStream) *relay.Relay {
	t.Helper()
	apps := relay.AppsFunc(func(id string) (string, bool) {
		if id == "web-0a1b2c" {
			return "web", true
		}
		return "", false
	})
	r, err := relay.Listen(relay.Config{Addr: "127.0.0.1:0", Host: "h7",
		Intake: intake.Config{BatchWait: 5 * time.Millisecond}}, js, apps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay run: %v", err)
		}
	})
	return r
}

// line is what Docker's syslog driver sends over TCP with rfc5424micro.
func line(instance, msg string) string {
	return fmt.Sprintf("<30>1 %s dockerhost %s 4711 %s - %s\n",
		time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), instance, instance, msg)
}

// stored reads every record in the log stream.
func stored(t *testing.T, js jetstream.JetStream) []record.Record { return storedRecords(t, js) }

func storedRecords(t *testing.T, js jetstream.JetStream) []record.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, buffer.StreamName)
	if err != nil {
		return nil
	}
	info, err := s.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []record.Record
	for n := uint64(0); n < info.State.Msgs; n++ {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("read log stream: %v", err)
		}
		recs, bad := buffer.DecodeMessage(m.Data())
		if bad > 0 {
			t.Fatalf("%d undecodable records in %q", bad, m.Data())
		}
		out = append(out, recs...)
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, what, cond)
}

// Lines sent before the server created the log stream wait in the relay
// and arrive once it exists, marked with this host and the agent's app; a
// line for an instance that is not on this host is counted and dropped.
func TestRelayPublishesHostRecordsOnceTheStreamExists(t *testing.T) {
	js := connect(t, natstest.Start(t))
	r := start(t, js)
	conn, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(line("web-0a1b2c", "known instance") + line("api-00ff00", "unknown instance"))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both lines received", func() bool { return r.Stats().Received == 2 })
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	var recs []record.Record
	eventually(t, "the known line stored", func() bool { recs = stored(t, js); return len(recs) >= 1 })
	if len(recs) != 1 || r.Stats().Unattributed != 1 {
		t.Fatalf("stored %+v, unattributed %d; want only the known instance's line", recs, r.Stats().Unattributed)
	}
	got := map[string]record.Record{}
	for _, r := range recs {
		got[r.Message] = r
	}
	for msg, want := range map[string]struct{ app, instance string }{
		"known instance": {"web", "web-0a1b2c"},
	} {
		r := got[msg]
		if r.App != want.app || r.Instance != want.instance || r.Host != "h7" || r.ID == "" {
			t.Errorf("%q stored as %+v, want app %s instance %s host h7", msg, r, want.app, want.instance)
		}
	}
}

// A NATS server restart while an app logs loses no line the relay took:
// it holds and retries them until the server is back.
func TestRelayLosesNothingAcrossNATSRestart(t *testing.T) {
	dir := t.TempDir()
	srv := natstest.StartDir(t, dir)
	js := connect(t, srv)
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	r := start(t, js)
	conn, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	const total = 3000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // an app logging steadily, one line a millisecond
		defer wg.Done()
		for i := 1; i <= total; i++ {
			if _, err := conn.Write([]byte(line("web-0a1b2c", "seq="+strconv.Itoa(i)))); err != nil {
				t.Errorf("write line %d: %v", i, err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	eventually(t, "lines flowing", func() bool { return r.Stats().Published > 100 })
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	srv.Shutdown()
	away := r.Stats().Received
	eventually(t, "lines received while the bus is away", func() bool { return r.Stats().Received >= away+200 })
	srv2, err := natsserver.Start(natsserver.Config{DataDir: dir, Port: port, ServerName: "berth-test"})
	if err != nil {
		t.Fatalf("restart on port %d: %v", port, err)
	}
	t.Cleanup(srv2.Shutdown)
	wg.Wait()

	seen := map[string]bool{}
	eventually(t, "every line stored", func() bool {
		clear(seen)
		for _, rec := range stored(t, js) {
			seen[rec.Message] = true
		}
		return len(seen) == total
	})
	for i := 1; i <= total; i++ {
		if !seen["seq="+strconv.Itoa(i)] {
			t.Fatalf("line %d lost", i)
		}
	}
	if s := r.Stats(); s.Dropped != 0 {
		t.Fatalf("relay dropped %d records", s.Dropped)
	}
}
