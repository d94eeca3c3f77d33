package elastictest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
)

// Version is the Elasticsearch version the stand-in reports.
const Version = "7.17.18"

// Server answers the subset of the Elasticsearch 7 REST API that log
// indexing and search use, the way a single node does: cluster info,
// composable index templates, index creation with mappings, _bulk with
// per-item results, _search with bool/term/match/range queries and sorts,
// and deletes. Documents are searchable at once (as after a refresh).
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	version   string
	templates map[string]template
	indices   map[string]*index
	faults    faults
	bulks     []BulkRequest
	requests  []string
}

type template struct {
	patterns []string
	mappings mappings
	body     json.RawMessage
}

type index struct {
	mappings mappings
	docs     map[string]*stored
	seq      int64
}

type stored struct {
	source  map[string]any
	raw     json.RawMessage
	version int64
}

// BulkRequest records one _bulk request the server received.
type BulkRequest struct {
	// IDs of the documents in it, in order; empty when it was refused whole.
	IDs []string
	// Status is the HTTP status of the answer.
	Status int
	// Bytes is the size of the body.
	Bytes int
}

// Start runs a stand-in until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{version: Version, templates: map[string]template{}, indices: map[string]*index{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetVersion changes the version reported by GET /.
func (s *Server) SetVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
}

// Bulks returns the _bulk requests received so far.
func (s *Server) Bulks() []BulkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BulkRequest(nil), s.bulks...)
}

// Requests returns "METHOD /path" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Doc returns the _source of document id in index, if present.
func (s *Server) Doc(indexName, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, ok := s.indices[indexName]
	if !ok {
		return nil, false
	}
	d, ok := ix.docs[id]
	if !ok {
		return nil, false
	}
	return d.source, true
}

// Count returns how many documents the indices matching pattern hold.
func (s *Server) Count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for name, ix := range s.indices {
		if ok, _ := path.Match(pattern, name); ok {
			n += len(ix.docs)
		}
	}
	return n
}

// Indices returns the names of the existing indices.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.indices {
		out = append(out, name)
	}
	return out
}

// Mapping returns the type of field in index, "" when unmapped.
func (s *Server) Mapping(indexName, field string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix, ok := s.indices[indexName]; ok {
		return ix.mappings.props[field]
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.info(w)
	case parts[0] == "_index_template" && len(parts) == 2:
		s.indexTemplate(w, r, parts[1])
	case parts[len(parts)-1] == "_bulk" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		defaultIndex := ""
		if len(parts) == 2 {
			defaultIndex = parts[0]
		}
		s.bulk(w, r, defaultIndex)
	case len(parts) == 2 && parts[1] == "_search" && (r.Method == http.MethodPost || r.Method == http.MethodGet):
		s.search(w, r, parts[0])
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_") && r.Method == http.MethodPut:
		s.createIndex(w, r, parts[0])
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_") && r.Method == http.MethodDelete:
		s.deleteIndex(w, parts[0])
	default:
		writeError(w, http.StatusBadRequest, "illegal_argument_exception",
			fmt.Sprintf("no handler found for uri [%s] and method [%s]", r.URL.Path, r.Method))
	}
}

func (s *Server) info(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         "berth-es-test",
		"cluster_name": "berth-test",
		"cluster_uuid": "Zl8f1hYzQ2yUWkK2ZIJpWg",
		"version": map[string]any{
			"number":                              s.version,
			"build_flavor":                        "default",
			"build_type":                          "docker",
			"build_hash":                          "25e0e0d1a7f8c5d2b0b9e6f1c5e0a3b2c1d0e9f8",
			"build_date":                          "2024-02-02T12:04:59.691750271Z",
			"build_snapshot":                      false,
			"lucene_version":                      "8.11.1",
			"minimum_wire_compatibility_version":  "6.8.0",
			"minimum_index_compatibility_version": "6.0.0-beta1",
		},
		"tagline": "You Know, for Search",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is how Elasticsearch reports a failed request.
func errorBody(status int, typ, reason string) map[string]any {
	cause := map[string]any{"type": typ, "reason": reason}
	return map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	}
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, errorBody(status, typ, reason))
}
