package buffer_test

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/record"
)

func next(t *testing.T, tail *buffer.Tail) record.Record {
	t.Helper()
	select {
	case r, ok := <-tail.C:
		if !ok {
			t.Fatalf("tail closed: %v", tail.Err())
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no record within 30s")
	}
	return record.Record{}
}

func TestFollowNewRecordsOfOneApp(t *testing.T) {
	js, _ := setup(t)
	publish(t, js, records("web", 5)) // history, not shown without since
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tail, err := buffer.Follow(ctx, js, "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	web := records("web", 3)
	publish(t, js, records("api", 3))
	publish(t, js, web)
	for i, want := range web {
		if got := next(t, tail); got.ID != want.ID || got.Message != want.Message {
			t.Fatalf("record %d: got %+v, want %+v", i, got, want)
		}
	}
	cancel()
	for range tail.C {
	}
	if err := tail.Err(); err != nil {
		t.Fatalf("ended with %v, want nil after cancel", err)
	}
}

func TestFollowSince(t *testing.T) {
	js, _ := setup(t)
	publish(t, js, records("web", 2))
	since := time.Now()
	recent := records("web", 2)
	publish(t, js, recent)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tail, err := buffer.Follow(ctx, js, "web", since)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range recent {
		if got := next(t, tail); got.ID != want.ID {
			t.Fatalf("got %q, want %q", got.Message, want.Message)
		}
	}
	live := records("web", 1)
	publish(t, js, live)
	if got := next(t, tail); got.ID != live[0].ID {
		t.Fatalf("got %q, want the live record", got.Message)
	}
}

func TestFollowWithoutStreamFails(t *testing.T) {
	js := newJS(t, natstest.Start(t))
	if _, err := buffer.Follow(context.Background(), js, "web", time.Time{}); err == nil {
		t.Fatal("follow without the stream succeeded")
	}
}
