package buffer

import (
	"context"
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
// acknowledged every one. Records are grouped by subject, in order, into
// messages of up to 1000 records (see chunkRecords); each message's
// Nats-Msg-Id derives from its records' IDs, so publishing the same batch
// again after an error stores no duplicates. Records without an ID get one.
func (p *Publisher) Publish(ctx context.Context, recs []record.Record) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.AckTimeout)
	defer cancel()
	for i := range recs {
		if recs[i].ID == "" {
			recs[i].ID = record.NewID()
		}
	}
	c := chunkers.Get().(*chunker)
	chunks, err := c.chunk(recs, maxChunkBytes, maxChunkRecords)
	if err != nil {
		c.release()
		return err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(chunks))
	for i := range chunks {
		c := &chunks[i]
		msg := &nats.Msg{Subject: c.subject, Data: c.data}
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(c.msgID()))
		if err != nil {
			return fmt.Errorf("publish log records: %w", err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish log records to %s: %w", f.Msg().Subject, err)
		case <-ctx.Done():
			return fmt.Errorf("wait for log acknowledgements: %w", ctx.Err())
		}
	}
	// Every message is acknowledged, so nothing refers to the chunks' data
	// any more; after an error a late retry of the client might, so the
	// chunker is then left to the garbage collector.
	c.release()
	return nil
}
