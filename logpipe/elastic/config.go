package elastic

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// DefaultPrefix names the indices (<prefix>-YYYY.MM.DD) and the template.
const DefaultPrefix = "berth-logs"

// Config configures a Store. Zero values take the defaults noted.
type Config struct {
	// URL of one Elasticsearch 7 node or load balancer; credentials may be
	// given as user:password@. Sniffing is off: the URL is used as is.
	URL string
	// Prefix of the indices and name of the template; default DefaultPrefix.
	Prefix string
	// MaxBulkActions and MaxBulkBytes bound one bulk request; Index splits
	// larger batches. Defaults 1000 and 5 MiB.
	MaxBulkActions int
	MaxBulkBytes   int
	// MaxRetries bounds the retries of a bulk request that failed as a
	// whole (connection, 429, 5xx) or in part (items rejected with 429 or
	// 5xx); default 5. Then Index fails and the batch is redelivered later.
	MaxRetries int
	// InitialBackoff, doubling per retry up to MaxBackoff; defaults 200ms, 10s.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Shards of each daily index; default 1.
	Shards int
	// HTTPClient; nil uses one with a 60s timeout.
	HTTPClient *http.Client
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.MaxBulkActions == 0 {
		c.MaxBulkActions = 1000
	}
	if c.MaxBulkBytes == 0 {
		c.MaxBulkBytes = 5 << 20
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q is not an http(s) URL", c.URL))
	}
	if !validPrefix(c.Prefix) {
		errs = append(errs, fmt.Errorf("prefix %q must be lower case letters, digits, '-' or '_', not starting with '-' or '_'", c.Prefix))
	}
	if c.MaxBulkActions < 1 || c.MaxBulkBytes < 1 {
		errs = append(errs, fmt.Errorf("bulk bounds %d actions, %d bytes must be positive", c.MaxBulkActions, c.MaxBulkBytes))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("max retries %d is negative", c.MaxRetries))
	}
	if c.InitialBackoff <= 0 || c.MaxBackoff < c.InitialBackoff {
		errs = append(errs, errors.New("backoff must be positive and max backoff at least the initial one"))
	}
	if c.Shards < 1 {
		errs = append(errs, fmt.Errorf("shards %d below 1", c.Shards))
	}
	return errors.Join(errs...)
}

func validPrefix(p string) bool {
	if p == "" || len(p) > 200 || p[0] == '-' || p[0] == '_' {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
