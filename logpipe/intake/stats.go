package intake

import "sync/atomic"

// Stats counts what intake has seen since it started.
type Stats struct {
	// Received counts messages read, including malformed ones.
	Received uint64
	// Malformed counts messages that did not parse; they are kept as Raw.
	Malformed uint64
	// Truncated counts messages longer than MaxMessageBytes.
	Truncated uint64
	// Dropped counts records lost: UDP messages over the memory bound and
	// records still unacknowledged when the drain at shutdown timed out.
	Dropped uint64
	// Published counts records the sink acknowledged.
	Published uint64
	// PublishErrors counts failed sink calls; their batches are retried.
	PublishErrors uint64
	// RejectedConns counts TCP connections refused over MaxConns.
	RejectedConns uint64
	// Conns is the number of open TCP connections, and Paused how many of
	// them wait for room in the queue (backpressure).
	Conns  int64
	Paused int64
	// QueuedBytes is the estimated memory of records not yet acknowledged.
	QueuedBytes int64
	// IdleClosed counts TCP connections closed for idling (IdleTimeout).
	IdleClosed uint64
}

type counters struct {
	received, malformed, truncated, dropped atomic.Uint64
	published, publishErrors, rejectedConns atomic.Uint64
	idleClosed                              atomic.Uint64
	conns, paused, queuedBytes              atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received: c.received.Load(), Malformed: c.malformed.Load(), Truncated: c.truncated.Load(),
		Dropped: c.dropped.Load(), Published: c.published.Load(), PublishErrors: c.publishErrors.Load(),
		RejectedConns: c.rejectedConns.Load(), Conns: c.conns.Load(), Paused: c.paused.Load(),
		QueuedBytes: c.queuedBytes.Load(), IdleClosed: c.idleClosed.Load(),
	}
}
