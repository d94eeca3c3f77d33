package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// Limits on how many records one search returns.
const (
	DefaultLimit = 100
	// MaxLimit matches Elasticsearch's default index.max_result_window.
	MaxLimit = 10000
)

// Query selects log records. Empty fields do not filter.
type Query struct {
	App      string
	Instance string
	// Text matches records whose message contains every word of Text,
	// case-insensitively, as whole words.
	Text string
	// Since and Until bound the record time, both inclusive.
	Since time.Time
	Until time.Time
	// Limit caps the result to the newest Limit matches; 0 means DefaultLimit.
	Limit int
}

// Validate reports every problem with q at once.
func (q Query) Validate() error {
	var errs []error
	if q.Limit < 0 || q.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("limit %d outside 0..%d", q.Limit, MaxLimit))
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		errs = append(errs, errors.New("until is before since"))
	}
	return errors.Join(errs...)
}

// WithDefaults returns q with a zero Limit replaced by DefaultLimit.
func (q Query) WithDefaults() Query {
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	return q
}

// Searcher finds log records. Results are the newest Limit matches, returned
// oldest first (time, then ID), the way a terminal shows a log's tail.
type Searcher interface {
	Search(ctx context.Context, q Query) ([]record.Record, error)
}

// OldestFirst reverses records fetched newest first, in place, and returns them.
func OldestFirst(newestFirst []record.Record) []record.Record {
	slices.Reverse(newestFirst)
	return newestFirst
}
