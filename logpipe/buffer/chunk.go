package buffer

import (
	"fmt"
	"strconv"

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
	var out []chunk
	open := map[string]int{} // subject -> index in out of its open chunk
	for i := range recs {
		r := &recs[i]
		subj := Subject(r.App, r.Instance)
		k, ok := open[subj]
		if ok && out[k].n >= maxRecords {
			ok = false
		}
		if !ok {
			k = len(out)
			out = append(out, chunk{subject: subj, firstID: r.ID})
			open[subj] = k
		}
		c := &out[k]
		start := len(c.data)
		data, err := appendRecord(c.data, r)
		if err != nil {
			return nil, fmt.Errorf("encode log record %s: %w", r.ID, err)
		}
		data = append(data, '\n')
		if c.n > 0 && len(data) > maxBytes {
			// The record does not fit: it starts the subject's next chunk.
			line := data[start:]
			c.data = data[:start]
			k = len(out)
			out = append(out, chunk{subject: subj, firstID: r.ID, data: append(make([]byte, 0, 2*len(line)), line...)})
			open[subj] = k
			c = &out[k]
		} else {
			c.data = data
		}
		c.lastID = r.ID
		c.n++
	}
	return out, nil
}
