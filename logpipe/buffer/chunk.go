package buffer

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/berth-dev/berth/logpipe/record"
)

// Bounds of one buffered message. JetStream's per-message costs (store
// write, duplicate tracking, acknowledgement) dominate intake, so a message
// carries many records; these keep it well under the server's 1 MiB
// default payload limit and keep one redelivery small.
const (
	maxChunkBytes   = 256 << 10
	maxChunkRecords = 1000
)

// chunk is one message's worth of records of one subject.
type chunk struct {
	subject string
	// data is NDJSON: each record's JSON followed by a newline.
	data            []byte
	firstID, lastID string
	n               int
	start           int // data's offset in the chunker's buffer
}

// msgID identifies the chunk for JetStream's deduplication: the same
// records in the same order give the same ID.
func (c *chunk) msgID() string {
	return c.firstID + "-" + c.lastID + "-" + strconv.Itoa(c.n)
}

// chunkRecords groups recs by subject, keeping their order, into chunks of
// at most maxRecords records and maxBytes bytes (a record larger than that
// gets a chunk of its own). It is deterministic, so publishing the same
// batch again yields the same chunks and message IDs. Every record must
// have an ID.
func chunkRecords(recs []record.Record, maxBytes, maxRecords int) ([]chunk, error) {
	var c chunker
	return c.chunk(recs, maxBytes, maxRecords)
}

// chunker is the memory one batch is encoded in: every chunk's data lies
// back to back in buf. Publish reuses chunkers (chunkers) once JetStream has
// acknowledged their messages, so a steady stream of batches allocates
// almost nothing.
type chunker struct {
	buf      []byte
	chunks   []chunk
	subjects map[subjectKey]int // -> index in heads
	heads    []subjectRun
	next     []int32 // index of the next record of the same subject, -1 at the end
}

type subjectKey struct{ app, instance string }

// subjectRun links a subject's records in their order.
type subjectRun struct {
	subject     string
	first, last int32
}

var chunkers = sync.Pool{New: func() any { return new(chunker) }}

// maxPooledBytes keeps a chunker that once encoded a huge batch out of the pool.
const maxPooledBytes = 4 << 20

func (c *chunker) release() {
	clear(c.chunks) // drop the record IDs for the garbage collector
	clear(c.heads)
	clear(c.subjects)
	if cap(c.buf) <= maxPooledBytes {
		chunkers.Put(c)
	}
}

// chunk does chunkRecords' work; the chunks' data stays valid until c is
// used again.
func (c *chunker) chunk(recs []record.Record, maxBytes, maxRecords int) ([]chunk, error) {
	if c.subjects == nil {
		c.subjects = make(map[subjectKey]int)
	}
	clear(c.subjects)
	c.heads, c.chunks, c.buf = c.heads[:0], c.chunks[:0], c.buf[:0]
	c.next = c.next[:0]
	estimate := 0
	for i := range recs {
		r := &recs[i]
		c.next = append(c.next, -1)
		k := subjectKey{r.App, r.Instance}
		if h, ok := c.subjects[k]; ok {
			c.next[c.heads[h].last] = int32(i)
			c.heads[h].last = int32(i)
		} else {
			c.subjects[k] = len(c.heads)
			c.heads = append(c.heads, subjectRun{subject: Subject(r.App, r.Instance), first: int32(i), last: int32(i)})
		}
		estimate += encodedSizeEstimate(r)
	}
	if cap(c.buf) < estimate {
		c.buf = make([]byte, 0, estimate)
	}
	for _, h := range c.heads {
		open := -1 // index in c.chunks of h's chunk being filled
		for i := h.first; i >= 0; i = c.next[i] {
			r := &recs[i]
			start := len(c.buf)
			buf, err := appendRecord(c.buf, r)
			if err != nil {
				return nil, fmt.Errorf("encode log record %s: %w", r.ID, err)
			}
			c.buf = append(buf, '\n')
			if open >= 0 {
				o := &c.chunks[open]
				if o.n >= maxRecords || len(c.buf)-o.start > maxBytes {
					open = -1 // the record starts the subject's next chunk
				}
			}
			if open < 0 {
				open = len(c.chunks)
				c.chunks = append(c.chunks, chunk{subject: h.subject, firstID: r.ID, start: start})
			}
			o := &c.chunks[open]
			o.lastID = r.ID
			o.n++
		}
	}
	for i := range c.chunks {
		end := len(c.buf)
		if i+1 < len(c.chunks) {
			end = c.chunks[i+1].start
		}
		c.chunks[i].data = c.buf[c.chunks[i].start:end:end]
	}
	return c.chunks, nil
}

// encodedSizeEstimate is about the length of r's JSON line, so one
// allocation usually holds a whole batch.
func encodedSizeEstimate(r *record.Record) int {
	const keysAndTime = 128
	return keysAndTime + len(r.ID) + len(r.App) + len(r.Instance) + len(r.Host) + len(r.Stream) +
		len(r.Severity) + len(r.Message) + len(r.Raw)
}
