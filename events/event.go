package events

import (
	"encoding/json"
	"fmt"
)

// Event is one domain fact. Kind is the last subject token and, prefixed
// by the aggregate kind, the CloudEvents type (dev.berth.app.deployed).
type Event interface {
	Kind() string
	Aggregate() Aggregate
}

// registry maps "<aggregate kind>.<event kind>" to a constructor of the
// concrete type, so decoding yields typed events.
var registry = map[string]func() Event{}

func register(agg AggregateKind, factory func() Event) {
	e := factory()
	key := string(agg) + "." + e.Kind()
	if _, dup := registry[key]; dup {
		panic("events: duplicate registration of " + key)
	}
	registry[key] = factory
}

// TypeOf is the CloudEvents type of an event, e.g. dev.berth.app.scaled.
func TypeOf(e Event) string {
	return CloudEventsTypePrefix + string(e.Aggregate().Kind) + "." + e.Kind()
}

// decodeData builds the typed event for a CloudEvents type.
func decodeData(ceType string, data []byte) (Event, error) {
	if len(ceType) <= len(CloudEventsTypePrefix) || ceType[:len(CloudEventsTypePrefix)] != CloudEventsTypePrefix {
		return nil, fmt.Errorf("unknown event type %q", ceType)
	}
	factory, ok := registry[ceType[len(CloudEventsTypePrefix):]]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", ceType)
	}
	e := factory()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s data: %w", ceType, err)
	}
	return deref(e), nil
}
