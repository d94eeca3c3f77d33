package buffer

import (
	"bytes"
	"encoding/json"

	"github.com/berth-dev/berth/logpipe/record"
)

// DecodeMessage splits a buffered message's body into its records: one
// record JSON per line (a message from before batching is one record
// without a newline). bad counts lines that are not records.
func DecodeMessage(data []byte) (recs []record.Record, bad int) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r record.Record
		if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
			bad++
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad
}
