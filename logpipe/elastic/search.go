package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	es "github.com/olivere/elastic/v7"

	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

// Search returns the newest q.Limit matching records, oldest first: a bool
// query (term app and instance, match message with every word, range on
// @timestamp) sorted newest first by time then ID, reversed. Records are
// searchable after the index refreshes (1s by default). Elasticsearch keeps
// @timestamp to the millisecond, so Since is rounded down to it.
func (s *Store) Search(ctx context.Context, q search.Query) ([]record.Record, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("search logs: %w", err)
	}
	q = q.WithDefaults()
	res, err := s.client.Search(s.cfg.Prefix+"-*").
		Query(buildQuery(q)).
		Sort("@timestamp", false).
		Sort("id", false).
		Size(q.Limit).
		IgnoreUnavailable(true).
		AllowNoIndices(true).
		Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("search logs: %w", err)
	}
	recs := make([]record.Record, 0, len(res.Hits.Hits))
	for _, h := range res.Hits.Hits {
		var d doc
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return nil, fmt.Errorf("search logs: decode %s: %w", h.Id, err)
		}
		recs = append(recs, d.record())
	}
	return search.OldestFirst(recs), nil
}

func buildQuery(q search.Query) es.Query {
	b := es.NewBoolQuery()
	if q.App != "" {
		b.Filter(es.NewTermQuery("app", q.App))
	}
	if q.Instance != "" {
		b.Filter(es.NewTermQuery("instance", q.Instance))
	}
	if strings.TrimSpace(q.Text) != "" {
		b.Must(es.NewMatchQuery("message", q.Text).Operator("and"))
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		r := es.NewRangeQuery("@timestamp")
		if !q.Since.IsZero() {
			r.Gte(q.Since.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano))
		}
		if !q.Until.IsZero() {
			r.Lte(q.Until.UTC().Format(time.RFC3339Nano))
		}
		b.Filter(r)
	}
	return b
}
