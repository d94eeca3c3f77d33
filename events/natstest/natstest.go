package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natsserver"
)

// Start runs a JetStream server on a random loopback port with its store in
// t.TempDir(), shut down at cleanup.
func Start(t testing.TB) *natsserver.Server {
	t.Helper()
	return StartDir(t, t.TempDir())
}

// StartDir is Start with the store in dir, for tests that restart a server on
// the same data. Shutting the server down early is fine.
func StartDir(t testing.TB, dir string) *natsserver.Server {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Config{
		DataDir:    dir,
		Port:       natsserver.RandomPort,
		ServerName: "berth-test",
	})
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// Connect opens a client to srv, closed at cleanup (before the server stops).
func Connect(t testing.TB, srv *natsserver.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", srv.ClientURL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Store starts a server and opens the event store on it, as source.
func Store(t testing.TB, source string) *events.Store {
	t.Helper()
	return StoreOn(t, Connect(t, Start(t)), source)
}

// StoreOn opens the event store over an existing connection, as source.
func StoreOn(t testing.TB, nc *nats.Conn, source string) *events.Store {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("natstest: jetstream: %v", err)
	}
	st, err := events.OpenStore(context.Background(), js, events.StoreConfig{Source: source})
	if err != nil {
		t.Fatalf("natstest: open store: %v", err)
	}
	return st
}

// JetStream connects to srv with opts, as Connect does, and returns the
// JetStream API on that connection.
func JetStream(t testing.TB, srv *natsserver.Server, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(Connect(t, srv, opts...))
	if err != nil {
		t.Fatalf("natstest: jetstream: %v", err)
	}
	return js
}

// Eventually polls cond every 20ms until it holds, failing t once within
// has passed.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	Poll(t, within, 20*time.Millisecond, what, cond)
}

// Poll is Eventually checking every every, for conditions costly to check.
func Poll(t testing.TB, within, every time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(within, every, cond) {
		t.Fatalf("%s: not within %s", what, within)
	}
}

// poll reports whether cond held within.
func poll(within, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
	return true
}

// Retry calls step until it succeeds, failing t with its last error when
// within passes: for set-up a loaded cluster may time out on once (a
// replicated stream's creation waits for its leader election).
func Retry(t testing.TB, within time.Duration, what string, step func() error) {
	t.Helper()
	var err error
	if !poll(within, 200*time.Millisecond, func() bool { err = step(); return err == nil }) {
		t.Fatalf("%s: not within %s: %v", what, within, err)
	}
}
