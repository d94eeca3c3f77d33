package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natstest"
)

func TestStartAndConnect(t *testing.T) {
	a, b := natstest.Start(t), natstest.Start(t)
	if a.ClientURL() == b.ClientURL() {
		t.Fatalf("two servers share %s", a.ClientURL())
	}
	nc := natstest.Connect(t, a)
	sub, err := nc.SubscribeSync("hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("hello", []byte("world")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil || string(msg.Data) != "world" {
		t.Fatalf("got %v, %v", msg, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("jetstream not available: %v", err)
	}
}

func TestServerShutdownEarlyIsFine(t *testing.T) {
	srv := natstest.Start(t)
	natstest.Connect(t, srv)
	srv.Shutdown() // cleanup shuts it down again
}
