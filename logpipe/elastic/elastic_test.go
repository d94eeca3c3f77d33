package elastic_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/elastic"
	"github.com/berth-dev/berth/logpipe/elastic/elastictest"
	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
	"github.com/berth-dev/berth/logpipe/search/searchtest"
)

// newStore connects a store to es with short backoffs.
func newStore(t *testing.T, es *elastictest.Server, mod func(*elastic.Config)) *elastic.Store {
	t.Helper()
	cfg := elastic.Config{URL: es.URL, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := elastic.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func records(n int, at time.Time) []record.Record {
	out := make([]record.Record, n)
	for i := range out {
		out[i] = record.Record{
			ID: record.NewID(), Time: at.Add(time.Duration(i) * time.Millisecond), App: "web", Instance: "web-3f2a1c",
			Host: "h1", Stream: record.StreamStdout, Severity: record.SeverityInfo, Message: fmt.Sprintf("line %d", i),
		}
	}
	return out
}

// assertStored checks every record is in its daily index with its fields.
func assertStored(t *testing.T, es *elastictest.Server, recs []record.Record) {
	t.Helper()
	for _, r := range recs {
		src, ok := es.Doc(elastic.IndexName(elastic.DefaultPrefix, r.Time), r.ID)
		if !ok {
			t.Fatalf("record %s (%q) not indexed", r.ID, r.Message)
		}
		if src["message"] != r.Message || src["app"] != r.App || src["id"] != r.ID {
			t.Fatalf("record %s stored as %v", r.ID, src)
		}
	}
}

func TestSuite(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) searchtest.Store {
		return newStore(t, elastictest.Start(t), nil)
	})
}

func TestIndexPutsTemplateBeforeTheFirstBulk(t *testing.T) {
	es := elastictest.Start(t)
	s := newStore(t, es, nil)
	day := time.Date(2024, 11, 23, 23, 59, 59, 0, time.UTC)
	recs := records(2, day)
	recs[1].Time = day.Add(2 * time.Second) // the next day
	if err := s.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	reqs := strings.Join(es.Requests(), ",")
	if !strings.HasPrefix(reqs, "GET /,PUT /_index_template/berth-logs,POST /_bulk") {
		t.Fatalf("requests %s", reqs)
	}
	for _, ix := range []string{"berth-logs-2024.11.23", "berth-logs-2024.11.24"} {
		for field, want := range map[string]string{"app": "keyword", "instance": "keyword", "host": "keyword",
			"stream": "keyword", "severity": "keyword", "id": "keyword", "@timestamp": "date", "message": "text"} {
			if got := es.Mapping(ix, field); got != want {
				t.Errorf("%s: %s mapped as %q, want %q", ix, field, got, want)
			}
		}
	}
	assertStored(t, es, recs)
	if err := s.Index(context.Background(), records(1, day)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(es.Requests(), ","), "_index_template"); n != 1 {
		t.Fatalf("template put %d times", n)
	}
}

func TestEnsureTemplateRejectsOtherMajorVersions(t *testing.T) {
	for _, v := range []string{"6.8.23", "8.12.0"} {
		es := elastictest.Start(t)
		es.SetVersion(v)
		err := newStore(t, es, nil).EnsureTemplate(context.Background())
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("version %s: %v", v, err)
		}
	}
}

func TestWholeRequestRejectionsAreRetried(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway} {
		es := elastictest.Start(t)
		s := newStore(t, es, nil)
		es.FailBulkRequests(2, status)
		recs := records(20, time.Now())
		if err := s.Index(context.Background(), recs); err != nil {
			t.Fatalf("status %d: %v", status, err)
		}
		assertStored(t, es, recs)
		bulks := es.Bulks()
		if len(bulks) != 3 || bulks[0].Status != status || bulks[2].Status != http.StatusOK {
			t.Fatalf("status %d: bulks %+v, want two refused then one accepted", status, bulks)
		}
		if st := s.Stats(); st.Retries != 2 || st.Indexed != 20 || st.Dropped != 0 {
			t.Fatalf("status %d: stats %+v", status, st)
		}
	}
}

func TestRejectedItemsAreRetriedAlone(t *testing.T) {
	es := elastictest.Start(t)
	s := newStore(t, es, nil)
	es.RejectBulkItems(5)
	recs := records(20, time.Now())
	if err := s.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	assertStored(t, es, recs)
	bulks := es.Bulks()
	if len(bulks) != 2 || len(bulks[0].IDs) != 20 || len(bulks[1].IDs) != 5 {
		t.Fatalf("bulks %+v, want 20 items then the 5 rejected", bulks)
	}
	for i, id := range bulks[1].IDs {
		if id != recs[i].ID {
			t.Fatalf("retried %s, want %s", id, recs[i].ID)
		}
	}
}

func TestPoisonRecordIsDroppedAndCounted(t *testing.T) {
	es := elastictest.Start(t)
	s := newStore(t, es, nil)
	day := time.Date(2024, 11, 23, 12, 0, 0, 0, time.UTC)
	// An index created before the template, with host mapped as a number.
	req, _ := http.NewRequest(http.MethodPut, es.URL+"/berth-logs-2024.11.23",
		strings.NewReader(`{"mappings":{"properties":{"host":{"type":"long"}}}}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("create index: %v %v", res, err)
	}
	res.Body.Close()

	recs := records(10, day)
	for i := range recs {
		recs[i].Host = fmt.Sprint(100 + i)
	}
	recs[3].Host, recs[7].Host = "h3", "h7" // do not fit the mapping
	if err := s.Index(context.Background(), recs); err != nil {
		t.Fatalf("a poison record failed the batch: %v", err)
	}
	for i, r := range recs {
		_, ok := es.Doc("berth-logs-2024.11.23", r.ID)
		if ok == (i == 3 || i == 7) {
			t.Errorf("record %d (host %q) indexed: %v", i, r.Host, ok)
		}
	}
	if st := s.Stats(); st.Dropped != 2 || st.Indexed != 8 || st.Retries != 0 {
		t.Fatalf("stats %+v, want 2 dropped, 8 indexed, no retries", st)
	}
}

func TestGivesUpWhenElasticsearchStaysDown(t *testing.T) {
	es := elastictest.Start(t)
	s := newStore(t, es, func(c *elastic.Config) { c.MaxRetries = 3 })
	es.SetDown(true)
	if err := s.Index(context.Background(), records(5, time.Now())); err == nil {
		t.Fatal("Index succeeded while Elasticsearch was down")
	}
	if n := len(es.Bulks()); n != 4 {
		t.Fatalf("%d bulk attempts, want 1 + 3 retries", n)
	}

	es.Close() // not even listening
	if err := s.Index(context.Background(), records(5, time.Now())); err == nil {
		t.Fatal("Index succeeded with Elasticsearch gone")
	}
}

func TestLargeBatchesAreSplit(t *testing.T) {
	es := elastictest.Start(t)
	s := newStore(t, es, func(c *elastic.Config) { c.MaxBulkActions = 10 })
	recs := records(35, time.Now())
	if err := s.Index(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	assertStored(t, es, recs)
	var sizes []int
	for _, b := range es.Bulks() {
		sizes = append(sizes, len(b.IDs))
	}
	if fmt.Sprint(sizes) != "[10 10 10 5]" {
		t.Fatalf("bulk sizes %v", sizes)
	}

	es2 := elastictest.Start(t)
	const maxBytes = 4 << 10
	s2 := newStore(t, es2, func(c *elastic.Config) { c.MaxBulkBytes = maxBytes })
	big := records(20, time.Now())
	for i := range big {
		big[i].Message = strings.Repeat("x", 1000)
	}
	if err := s2.Index(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	assertStored(t, es2, big)
	bulks := es2.Bulks()
	for _, b := range bulks {
		if b.Bytes > maxBytes {
			t.Fatalf("bulk of %d bytes over %d", b.Bytes, maxBytes)
		}
	}
	if len(bulks) < 5 {
		t.Fatalf("%d bulks for 20 KB at 4 KB each", len(bulks))
	}
}

func TestSearchOnEmptyClusterAndBadQuery(t *testing.T) {
	s := newStore(t, elastictest.Start(t), nil)
	got, err := s.Search(context.Background(), search.Query{App: "web"})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty cluster: %v %v", got, err)
	}
	if _, err := s.Search(context.Background(), search.Query{Limit: search.MaxLimit + 1}); err == nil {
		t.Fatal("limit over the maximum accepted")
	}
}

func TestNewValidates(t *testing.T) {
	_, err := elastic.New(elastic.Config{URL: "ftp://x", Prefix: "Bad Prefix", MaxRetries: -1})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"url", "prefix", "retries"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
