package hostbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// Bus is one agent's view of the event bus: it follows its host's
// assignments and claims facts about its host. Nothing else of the bus is
// needed, so an agent's NATS permissions can be this narrow.
type Bus struct {
	js     jetstream.JetStream
	host   string
	source string
	assign jetstream.Stream
	now    func() time.Time
}

// Attach opens host's bus; it fails while the server has not created the
// streams yet (callers retry).
func Attach(ctx context.Context, js jetstream.JetStream, host string) (*Bus, error) {
	s, err := js.Stream(ctx, AssignStream)
	if err != nil {
		return nil, fmt.Errorf("find stream %s (is the server running?): %w", AssignStream, err)
	}
	return &Bus{js: js, host: host, source: "agent/" + host, assign: s, now: time.Now}, nil
}

// Follow delivers host's assignments, replay then live, as
// events.Store.Follow does. The sequences are the assignment stream's.
func (b *Bus) Follow(ctx context.Context, opts events.FollowOptions, fn func(events.Recorded) error) error {
	return events.FollowStream(ctx, b.assign, AssignFilter(b.host), opts, fn)
}

// Claim publishes a fact about this host, deduplicated by key: the intake
// checks it and appends it to the event log under that key.
func (b *Bus) Claim(ctx context.Context, e events.Event, key string) error {
	env, err := events.Wrap(e, b.source, key, b.now())
	if err != nil {
		return err
	}
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode claim: %w", err)
	}
	m := nats.NewMsg(FactSubject(b.host, e))
	m.Data = body
	m.Header.Set("Content-Type", events.ContentType)
	if key != "" {
		m.Header.Set(jetstream.MsgIDHeader, m.Subject+"/"+key)
	}
	if _, err := b.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("claim %s: %w", events.TypeOf(e), err)
	}
	return nil
}
