package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/logpipe/record"
)

// Limits on how many records one search returns.
const (
	DefaultLimit = 100
	// MaxLimit matches Elasticsearch's default index.max_result_window.
	MaxLimit = 10000
	// MaxTextBytes bounds the search text and the instance filter.
	MaxTextBytes = 1024
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
	for name, v := range map[string]string{"q": q.Text, "instance": q.Instance} {
		switch {
		case !utf8.ValidString(v):
			errs = append(errs, fmt.Errorf("%s is not valid UTF-8", name))
		case strings.ContainsRune(v, 0):
			errs = append(errs, fmt.Errorf("%s contains a NUL byte", name))
		case len(v) > MaxTextBytes:
			errs = append(errs, fmt.Errorf("%s is longer than %d bytes", name, MaxTextBytes))
		}
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
