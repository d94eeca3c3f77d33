package elastic

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	es "github.com/olivere/elastic/v7"
)

// Store indexes records into Elasticsearch and searches them.
type Store struct {
	cfg    Config
	client *es.Client
	log    *slog.Logger

	// templateMu guards templateOK: the template is put once, before the
	// first bulk request, so daily indices are created with our mapping.
	templateMu sync.Mutex
	templateOK bool

	indexed, dropped, retries atomic.Uint64
}

// Stats counts a store's indexing since it was created.
type Stats struct {
	// Indexed counts records Elasticsearch accepted.
	Indexed uint64
	// Dropped counts records rejected for good (a 400 such as a mapping
	// conflict): they are logged and dropped so one poison line cannot
	// stop the pipeline.
	Dropped uint64
	// Retries counts bulk requests sent again after a retryable failure.
	Retries uint64
}

// New returns a store for cfg. It does not contact Elasticsearch: the first
// Index (or EnsureTemplate) does, so the pipeline starts while it is down.
func New(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("elasticsearch config: %w", err)
	}
	client, err := es.NewClient(
		es.SetURL(cfg.URL),
		es.SetSniff(false),
		es.SetHealthcheck(false),
		es.SetHttpClient(cfg.HTTPClient),
	)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return &Store{cfg: cfg, client: client, log: cfg.Logger}, nil
}

// Stats returns the counters so far.
func (s *Store) Stats() Stats {
	return Stats{Indexed: s.indexed.Load(), Dropped: s.dropped.Load(), Retries: s.retries.Load()}
}

// Close releases the client.
func (s *Store) Close() { s.client.Stop() }

// EnsureTemplate checks the server is Elasticsearch 7 and puts the index
// template for <prefix>-*: keyword app, instance, host, stream, severity
// and id; date @timestamp; text message. Index calls it once by itself.
func (s *Store) EnsureTemplate(ctx context.Context) error {
	info, _, err := s.client.Ping(s.cfg.URL).Do(ctx)
	if err != nil {
		return fmt.Errorf("elasticsearch at %s: %w", redact(s.cfg.URL), err)
	}
	if !strings.HasPrefix(info.Version.Number, "7.") {
		return fmt.Errorf("elasticsearch at %s is version %q; want 7.x", redact(s.cfg.URL), info.Version.Number)
	}
	_, err = s.client.IndexPutIndexTemplate(s.cfg.Prefix).BodyJson(indexTemplate(s.cfg.Prefix, s.cfg.Shards)).Do(ctx)
	if err != nil {
		return fmt.Errorf("put index template %s: %w", s.cfg.Prefix, err)
	}
	return nil
}

func (s *Store) ensureTemplateOnce(ctx context.Context) error {
	s.templateMu.Lock()
	defer s.templateMu.Unlock()
	if s.templateOK {
		return nil
	}
	if err := s.EnsureTemplate(ctx); err != nil {
		return err
	}
	s.templateOK = true
	return nil
}

// redact drops credentials from a URL for messages.
func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}
