package elastic_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	es "github.com/olivere/elastic/v7"

	"github.com/berth-dev/berth/logpipe/elastic"
	"github.com/berth-dev/berth/logpipe/search/searchtest"
)

// TestRealElasticsearch runs the store suite against a real node when
// BERTH_TEST_ELASTICSEARCH_URL is set, in indices of a throwaway prefix.
// Elasticsearch cannot be installed on the CI machine; there TestSuite
// runs the same suite against elastictest, which answers as ES 7.17 does.
func TestRealElasticsearch(t *testing.T) {
	url := os.Getenv("BERTH_TEST_ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("BERTH_TEST_ELASTICSEARCH_URL not set: no real Elasticsearch here; TestSuite runs the same suite against elastictest")
	}
	searchtest.Run(t, func(t *testing.T) searchtest.Store {
		var b [4]byte
		_, _ = rand.Read(b[:])
		prefix := "berth-test-" + hex.EncodeToString(b[:])
		s, err := elastic.New(elastic.Config{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			defer s.Close()
			c, err := es.NewClient(es.SetURL(url), es.SetSniff(false), es.SetHealthcheck(false))
			if err != nil {
				t.Errorf("cleanup client: %v", err)
				return
			}
			ctx := context.Background()
			if _, err := c.DeleteIndex(prefix + "-*").Do(ctx); err != nil {
				t.Errorf("delete indices %s-*: %v", prefix, err)
			}
			if _, err := c.IndexDeleteIndexTemplate(prefix).Do(ctx); err != nil {
				t.Errorf("delete template %s: %v", prefix, err)
			}
		})
		return s
	})
}
