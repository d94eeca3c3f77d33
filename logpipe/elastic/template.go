package elastic

import (
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// indexTemplate is the composable template for the daily indices. Unknown
// fields are not mapped (dynamic false); raw is kept in _source only.
func indexTemplate(prefix string, shards int) map[string]any {
	keyword := map[string]any{"type": "keyword"}
	return map[string]any{
		"index_patterns": []string{prefix + "-*"},
		"priority":       200,
		"template": map[string]any{
			"settings": map[string]any{"index": map[string]any{"number_of_shards": shards}},
			"mappings": map[string]any{
				"dynamic": false,
				"properties": map[string]any{
					"@timestamp": map[string]any{"type": "date"},
					"id":         keyword,
					"app":        keyword,
					"instance":   keyword,
					"host":       keyword,
					"stream":     keyword,
					"severity":   keyword,
					"message":    map[string]any{"type": "text"},
					"raw":        map[string]any{"type": "text", "index": false},
					"malformed":  map[string]any{"type": "boolean"},
				},
			},
		},
		"_meta": map[string]any{"managed_by": "berth logpipe"},
	}
}

// IndexName is the daily index holding records of time t (UTC).
func IndexName(prefix string, t time.Time) string {
	return prefix + "-" + t.UTC().Format("2006.01.02")
}

// doc is a record as stored in Elasticsearch.
type doc struct {
	Timestamp time.Time `json:"@timestamp"`
	ID        string    `json:"id"`
	App       string    `json:"app"`
	Instance  string    `json:"instance,omitempty"`
	Host      string    `json:"host,omitempty"`
	Stream    string    `json:"stream,omitempty"`
	Severity  string    `json:"severity,omitempty"`
	Message   string    `json:"message"`
	Raw       string    `json:"raw,omitempty"`
	Malformed bool      `json:"malformed,omitempty"`
}

func toDoc(r record.Record) doc {
	return doc{
		Timestamp: r.Time.UTC(), ID: r.ID, App: r.App, Instance: r.Instance, Host: r.Host,
		Stream: r.Stream, Severity: r.Severity, Message: r.Message, Raw: r.Raw, Malformed: r.Malformed,
	}
}

func (d doc) record() record.Record {
	return record.Record{
		ID: d.ID, Time: d.Timestamp.UTC(), App: d.App, Instance: d.Instance, Host: d.Host,
		Stream: d.Stream, Severity: d.Severity, Message: d.Message, Raw: d.Raw, Malformed: d.Malformed,
	}
}
