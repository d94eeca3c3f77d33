package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// ContentType is the NATS Content-Type header of every event message:
// CloudEvents structured mode, JSON.
const ContentType = "application/cloudevents+json"

// Envelope is a CloudEvents 1.0 event in structured JSON mode, the body of
// every message on the event stream. IdempotencyKey is a CloudEvents
// extension attribute ("berthkey") set when the command that caused the
// event carried an idempotency key.
type Envelope struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject,omitempty"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	IdempotencyKey  string    `json:"berthkey,omitempty"`
	// Actor is who asked for the command that caused the event (the API
	// token's name), extension attribute "berthactor".
	Actor string          `json:"berthactor,omitempty"`
	Data  json.RawMessage `json:"data"`
}

// Recorded is an event as stored: its envelope, typed payload and the
// stream sequence it was stored at.
type Recorded struct {
	Envelope
	Event    Event
	Sequence uint64
	// Stored is when the stream stored it, by the server's clock (the
	// bus's time base), where Time is the appender's.
	Stored time.Time
}

// Wrap puts an event into a new envelope.
func Wrap(e Event, source, idempotencyKey string, now time.Time) (Envelope, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", TypeOf(e), err)
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              uuid.NewString(),
		Source:          source,
		Type:            TypeOf(e),
		Subject:         e.Aggregate().ID,
		Time:            now.UTC(),
		DataContentType: "application/json",
		IdempotencyKey:  idempotencyKey,
		Data:            data,
	}, nil
}

// Decode parses a message body into an envelope and its typed event,
// rejecting anything that is not a well-formed Berth CloudEvent.
func Decode(body []byte) (Envelope, Event, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Envelope{}, nil, fmt.Errorf("decode envelope: %w", err)
	}
	var problems []error
	if env.SpecVersion != SpecVersion {
		problems = append(problems, fmt.Errorf("specversion %q is not %q", env.SpecVersion, SpecVersion))
	}
	if env.ID == "" {
		problems = append(problems, errors.New("id is empty"))
	}
	if env.Source == "" {
		problems = append(problems, errors.New("source is empty"))
	}
	if len(env.Data) == 0 {
		problems = append(problems, errors.New("data is empty"))
	}
	if err := errors.Join(problems...); err != nil {
		return Envelope{}, nil, fmt.Errorf("invalid envelope: %w", err)
	}
	e, err := decodeData(env.Type, env.Data)
	if err != nil {
		return Envelope{}, nil, err
	}
	return env, e, nil
}

// deref turns the *T a factory made back into the T callers switch on.
func deref(e Event) Event {
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer {
		return v.Elem().Interface().(Event)
	}
	return e
}
