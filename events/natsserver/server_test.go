package natsserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natsserver"
)

func start(t *testing.T, cfg natsserver.Config) *natsserver.Server {
	t.Helper()
	srv, err := natsserver.Start(cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

func jetStream(t *testing.T, srv *natsserver.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestJetStreamPublishIsAcknowledged(t *testing.T) {
	srv := start(t, natsserver.Config{DataDir: t.TempDir(), Port: natsserver.RandomPort, SyncAlways: true})
	if !strings.HasPrefix(srv.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("ClientURL = %s, want loopback", srv.ClientURL())
	}
	if !srv.NATS().JetStreamConfig().SyncAlways {
		t.Fatal("SyncAlways not passed to JetStream")
	}
	js := jetStream(t, srv)
	if _, err := js.CreateStream(ctx(t), jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx(t), "s.one", []byte("1"))
	if err != nil || ack.Stream != "S" || ack.Sequence != 1 {
		t.Fatalf("publish ack = %+v, %v", ack, err)
	}
}

func TestRestartOnSameDirKeepsMessages(t *testing.T) {
	dir := t.TempDir()
	cfg := natsserver.Config{DataDir: dir, Port: natsserver.RandomPort}
	first := start(t, cfg)
	js := jetStream(t, first)
	if _, err := js.CreateStream(ctx(t), jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"a", "b", "c"} {
		if _, err := js.Publish(ctx(t), "s."+body, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	first.Shutdown()

	second := start(t, cfg)
	stream, err := jetStream(t, second).Stream(ctx(t), "S")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	msg, err := stream.GetMsg(ctx(t), 3)
	if err != nil || string(msg.Data) != "c" || msg.Subject != "s.c" {
		t.Fatalf("message 3 after restart = %+v, %v", msg, err)
	}
	if info, _ := stream.Info(ctx(t)); info.State.Msgs != 3 {
		t.Fatalf("messages after restart = %d, want 3", info.State.Msgs)
	}
}

func TestConfigValidate(t *testing.T) {
	err := natsserver.Config{Port: -2}.Validate()
	if err == nil || !strings.Contains(err.Error(), "data dir is required") || !strings.Contains(err.Error(), "port -2") {
		t.Fatalf("Validate() = %v, want both problems", err)
	}
	if _, err := natsserver.Start(natsserver.Config{}); err == nil {
		t.Fatal("Start accepted a config without data dir")
	}
	if err := (natsserver.Config{DataDir: "/x", Port: natsserver.RandomPort}).Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}
