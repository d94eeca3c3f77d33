package buffer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/logpipe/record"
)

// PublisherConfig tunes a Publisher.
type PublisherConfig struct {
	// AckTimeout bounds the wait for a batch's acknowledgements; default 10s.
	AckTimeout time.Duration
}

// Publisher writes record batches to the buffer. It is intake's Sink.
type Publisher struct {
	js  jetstream.JetStream
	cfg PublisherConfig
}

// NewPublisher returns a publisher on js; the stream must exist (EnsureStream).
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig) (*Publisher, error) {
	if js == nil {
		return nil, errors.New("log publisher: jetstream is nil")
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = 10 * time.Second
	}
	if cfg.AckTimeout < 0 {
		return nil, fmt.Errorf("log publisher: ack timeout %v is negative", cfg.AckTimeout)
	}
	return &Publisher{js: js, cfg: cfg}, nil
}

// Publish sends recs asynchronously and returns nil only when JetStream has
// acknowledged every one. Each message carries its record ID as Nats-Msg-Id,
// so publishing a batch again after an error stores no duplicates.
func (p *Publisher) Publish(ctx context.Context, recs []record.Record) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.AckTimeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		if r.ID == "" {
			r.ID = record.NewID()
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode log record %s: %w", r.ID, err)
		}
		msg := &nats.Msg{Subject: Subject(r.App, r.Instance), Data: data}
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(r.ID))
		if err != nil {
			return fmt.Errorf("publish log record: %w", err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish log record to %s: %w", f.Msg().Subject, err)
		case <-ctx.Done():
			return fmt.Errorf("wait for log acknowledgements: %w", ctx.Err())
		}
	}
	return nil
}
