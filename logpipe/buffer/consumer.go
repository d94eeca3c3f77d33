package buffer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/logpipe/record"
)

// Indexer stores a batch of records. It must be idempotent by record ID:
// a batch whose acknowledgement was lost is delivered again.
type Indexer interface {
	Index(ctx context.Context, recs []record.Record) error
}

// ConsumerConfig tunes a Consumer. Zero values take the defaults noted.
type ConsumerConfig struct {
	// BatchSize is the most buffered messages fetched and indexed at once;
	// default 64. A message holds up to 1000 records (see Publisher).
	BatchSize int
	// FetchWait is how long a fetch waits to fill a batch; default 1s.
	FetchWait time.Duration
	// AckWait is how long JetStream waits for a batch's acknowledgement
	// before delivering it again; default 10s. It bounds how late records
	// come whose delivery a crash or a restart of the bus cut off. A batch
	// still being indexed is kept from redelivery by progress reports
	// every AckWait/3, however long Index takes.
	AckWait time.Duration
	// NakDelay is how long a batch that failed to index waits before it is
	// delivered again, and how long the consumer pauses; default 5s.
	NakDelay time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *ConsumerConfig) setDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.FetchWait == 0 {
		c.FetchWait = time.Second
	}
	if c.AckWait == 0 {
		c.AckWait = 10 * time.Second
	}
	if c.NakDelay == 0 {
		c.NakDelay = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem with c at once.
func (c ConsumerConfig) Validate() error {
	var errs []error
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size %d below 1", c.BatchSize))
	}
	if c.FetchWait <= 0 || c.AckWait <= 0 || c.NakDelay < 0 {
		errs = append(errs, errors.New("fetch wait and ack wait must be positive, nak delay not negative"))
	}
	return errors.Join(errs...)
}

// ConsumerStats counts a consumer's work since it started.
type ConsumerStats struct {
	// Indexed counts records indexed and acknowledged.
	Indexed uint64
	// IndexErrors counts failed Index calls; their batches are delivered again.
	IndexErrors uint64
	// Undecodable counts message lines that were not records; they are
	// dropped, and a message without any record is terminated.
	Undecodable uint64
}

// Consumer feeds the buffered records to an Indexer through the durable
// pull consumer ConsumerName. A message is acknowledged only after Index
// returned nil for all its records, so a crash or a store outage loses nothing.
// Several Consumers (one per server) may share the durable consumer.
type Consumer struct {
	js  jetstream.JetStream
	idx Indexer
	cfg ConsumerConfig
	log *slog.Logger

	indexed, indexErrors, undecodable atomic.Uint64
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(js jetstream.JetStream, idx Indexer, cfg ConsumerConfig) (*Consumer, error) {
	cfg.setDefaults()
	err := cfg.Validate()
	if js == nil || idx == nil {
		err = errors.Join(err, errors.New("jetstream and indexer are required"))
	}
	if err != nil {
		return nil, fmt.Errorf("log consumer config: %w", err)
	}
	return &Consumer{js: js, idx: idx, cfg: cfg, log: cfg.Logger}, nil
}

// Stats returns the counters so far.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Indexed: c.indexed.Load(), IndexErrors: c.indexErrors.Load(), Undecodable: c.undecodable.Load()}
}

// Run creates or updates the durable consumer and indexes until ctx ends;
// it then returns nil. Records in flight at that moment are released for
// immediate redelivery.
func (c *Consumer) Run(ctx context.Context) error {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "Indexes buffered log records",
		FilterSubject: AllSubjects,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    -1, // never give up on a record: a store outage must not lose it
		MaxAckPending: 4 * c.cfg.BatchSize,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("ensure consumer %s: %w", ConsumerName, err)
	}
	for ctx.Err() == nil {
		msgs, err := c.fetch(ctx, cons)
		if err != nil {
			c.log.Warn("fetch buffered logs failed", "err", err)
			c.pause(ctx)
			continue
		}
		if len(msgs) > 0 && !c.handle(ctx, msgs) {
			c.pause(ctx)
		}
	}
	return nil
}

func (c *Consumer) fetch(ctx context.Context, cons jetstream.Consumer) ([]jetstream.Msg, error) {
	fctx, cancel := context.WithTimeout(ctx, c.cfg.FetchWait)
	defer cancel()
	batch, err := cons.Fetch(c.cfg.BatchSize, jetstream.FetchContext(fctx))
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil
		}
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && len(msgs) == 0 && ctx.Err() == nil &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) {
		return nil, err
	}
	return msgs, nil
}

// handle indexes the records of a batch of messages and settles the
// messages; false when Index failed.
func (c *Consumer) handle(ctx context.Context, msgs []jetstream.Msg) bool {
	var recs []record.Record
	kept := msgs[:0]
	for _, m := range msgs {
		got, bad := DecodeMessage(m.Data())
		if len(got) == 0 {
			bad = max(bad, 1)
		}
		if bad > 0 {
			c.undecodable.Add(uint64(bad))
			c.log.Error("undecodable log lines dropped", "subject", m.Subject(), "lines", bad, "records_kept", len(got))
		}
		if len(got) == 0 {
			_ = m.Term()
			continue
		}
		recs = append(recs, got...)
		kept = append(kept, m)
	}
	if len(recs) == 0 {
		return true
	}
	stopProgress := c.reportProgress(kept)
	err := c.idx.Index(ctx, recs)
	stopProgress()
	if err != nil {
		c.indexErrors.Add(1)
		if ctx.Err() != nil {
			for _, m := range kept {
				_ = m.Nak() // shutting down: let another consumer have them now
			}
			return false
		}
		c.log.Warn("index logs failed; will retry", "records", len(recs), "retry_in", c.cfg.NakDelay, "err", err)
		for _, m := range kept {
			_ = m.NakWithDelay(c.cfg.NakDelay)
		}
		return false
	}
	for _, m := range kept {
		// A lost ack means redelivery after AckWait; Index is idempotent.
		_ = m.Ack()
	}
	c.indexed.Add(uint64(len(recs)))
	return true
}

// reportProgress tells JetStream every AckWait/3 that msgs are still being
// worked on, until the returned stop is called.
func (c *Consumer) reportProgress(msgs []jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(c.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					_ = m.InProgress()
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (c *Consumer) pause(ctx context.Context) {
	t := time.NewTimer(c.cfg.NakDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
