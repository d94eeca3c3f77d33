package clusterview_test

import (
	"context"
	"errors"
	"testing"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/workers/clusterview"
)

// failingSource stands for an event stream that breaks at once.
type failingSource struct{}

func (failingSource) Follow(context.Context, string, events.FollowOptions, func(events.Recorded) error) error {
	return errors.New("stream gone")
}

func TestAwaitReadyAfterReplay(t *testing.T) {
	st := natstest.Store(t, "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := st.Append(ctx, events.Host("h1"), 0, []events.Event{events.HostRegistered{Host: "h1", Addr: "127.0.0.2"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	f := clusterview.NewFollower()
	g := f.Start(ctx, st, nil)
	if err := f.AwaitReady(ctx, g); err != nil {
		t.Fatal(err)
	}
	f.Read(func(v *clusterview.View) {
		if v.Hosts["h1"] == nil {
			t.Fatalf("ready before the history was replayed: %+v", v.Hosts)
		}
	})
	cancel()
	if err := g.Err(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("follower stopped with %v after cancel", err)
	}
}

func TestAwaitReadyReportsAFailedFollower(t *testing.T) {
	f := clusterview.NewFollower()
	g := f.Start(context.Background(), failingSource{}, nil)
	if err := f.AwaitReady(context.Background(), g); err == nil {
		t.Fatal("ready although the stream failed")
	}
}
