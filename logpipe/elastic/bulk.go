package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	es "github.com/olivere/elastic/v7"

	"github.com/berth-dev/berth/logpipe/record"
)

// bulkDoc is one encoded index action.
type bulkDoc struct {
	index, id string
	body      json.RawMessage
}

// actionOverhead approximates the action line of a bulk item.
const actionOverhead = 128

// Index stores recs in their daily indices, with the record ID as document
// ID so a redelivered batch overwrites rather than duplicates. Batches are
// split by MaxBulkActions and MaxBulkBytes. Whole-request failures
// (connection, 429, 5xx) and items rejected with 429 or 5xx are retried with
// exponential backoff; when retries run out Index returns an error and the
// caller delivers the batch again later. Items rejected for good (400 and
// other 4xx, e.g. a mapping conflict) are logged, counted as Dropped and
// skipped, so a poison line cannot wedge the pipeline.
func (s *Store) Index(ctx context.Context, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := s.ensureTemplateOnce(ctx); err != nil {
		return err
	}
	docs := make([]bulkDoc, len(recs))
	for i, r := range recs {
		if r.ID == "" {
			return fmt.Errorf("index log record without an ID (app %q)", r.App)
		}
		body, err := json.Marshal(toDoc(r))
		if err != nil {
			return fmt.Errorf("encode log record %s: %w", r.ID, err)
		}
		docs[i] = bulkDoc{index: IndexName(s.cfg.Prefix, r.Time), id: r.ID, body: body}
	}
	for _, chunk := range chunks(docs, s.cfg.MaxBulkActions, s.cfg.MaxBulkBytes) {
		if err := s.bulkWithRetry(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// chunks splits docs into runs of at most maxActions and, unless a single
// doc is larger, maxBytes.
func chunks(docs []bulkDoc, maxActions, maxBytes int) [][]bulkDoc {
	var out [][]bulkDoc
	start, size := 0, 0
	for i, d := range docs {
		n := len(d.body) + actionOverhead
		if i > start && (i-start >= maxActions || size+n > maxBytes) {
			out = append(out, docs[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, docs[start:])
}

func (s *Store) bulkWithRetry(ctx context.Context, docs []bulkDoc) error {
	delay := s.cfg.InitialBackoff
	for attempt := 0; ; attempt++ {
		retry, err := s.bulk(ctx, docs)
		if err == nil && len(retry) == 0 {
			return nil
		}
		if err != nil && !retryable(err) {
			return fmt.Errorf("bulk index %d log records: %w", len(docs), err)
		}
		if err == nil {
			docs = retry
			err = fmt.Errorf("%d items rejected as retryable", len(retry))
		}
		if attempt >= s.cfg.MaxRetries {
			return fmt.Errorf("bulk index %d log records: giving up after %d attempts: %w", len(docs), attempt+1, err)
		}
		s.retries.Add(1)
		s.log.Warn("elasticsearch bulk failed; retrying", "records", len(docs), "retry_in", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("bulk index %d log records: %w", len(docs), ctx.Err())
		}
		delay = min(2*delay, s.cfg.MaxBackoff)
	}
}

// bulk sends one request and returns the docs to retry.
func (s *Store) bulk(ctx context.Context, docs []bulkDoc) (retry []bulkDoc, err error) {
	req := s.client.Bulk()
	for _, d := range docs {
		req.Add(es.NewBulkIndexRequest().Index(d.index).Id(d.id).Doc(d.body))
	}
	res, err := req.Do(ctx)
	if err != nil {
		return nil, err
	}
	if len(res.Items) != len(docs) {
		return docs, nil // a confused answer: send them all again
	}
	var ok uint64
	for i, item := range res.Items {
		result := item["index"]
		switch outcome := itemOutcome(result); outcome {
		case itemOK:
			ok++
		case itemRetry:
			retry = append(retry, docs[i])
		case itemDrop:
			s.dropped.Add(1)
			s.log.Error("elasticsearch rejected a log record; dropped", "id", docs[i].id, "index", docs[i].index,
				"status", result.Status, "error", errorText(result.Error))
		}
	}
	s.indexed.Add(ok)
	return retry, nil
}

type outcome int

const (
	itemOK outcome = iota
	itemRetry
	itemDrop
)

// itemOutcome classifies one bulk item result.
func itemOutcome(r *es.BulkResponseItem) outcome {
	switch {
	case r == nil:
		return itemRetry
	case r.Status >= 200 && r.Status < 300:
		return itemOK
	case retryableStatus(r.Status):
		return itemRetry
	default:
		return itemDrop
	}
}

// retryableStatus: overload and server trouble pass; other client errors won't.
func retryableStatus(code int) bool {
	return code == 429 || code == 408 || code >= 500
}

// retryable reports whether a failed request may succeed if sent again:
// Elasticsearch said so (429, 5xx), or it was not reached at all.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *es.Error
	if errors.As(err, &e) {
		return retryableStatus(e.Status)
	}
	return true
}

func errorText(d *es.ErrorDetails) string {
	if d == nil {
		return ""
	}
	if d.CausedBy != nil {
		return fmt.Sprintf("%s: %s (caused by %v)", d.Type, d.Reason, d.CausedBy["reason"])
	}
	return d.Type + ": " + d.Reason
}
