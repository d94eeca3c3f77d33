package elastictest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// mappings are an index's field types (top-level fields only).
type mappings struct {
	dynamic bool
	props   map[string]string
}

func parseMappings(raw map[string]any) (mappings, error) {
	m := mappings{dynamic: true, props: map[string]string{}}
	if raw == nil {
		return m, nil
	}
	if d, ok := raw["dynamic"]; ok {
		m.dynamic = d != false && d != "false" && d != "strict"
	}
	props, _ := raw["properties"].(map[string]any)
	for field, v := range props {
		def, ok := v.(map[string]any)
		typ, _ := def["type"].(string)
		if !ok || typ == "" {
			return m, fmt.Errorf("No type specified for field [%s]", field)
		}
		switch typ {
		case "keyword", "text", "date", "date_nanos", "long", "integer", "boolean", "float", "double":
		default:
			return m, fmt.Errorf("No handler for type [%s] declared on field [%s]", typ, field)
		}
		m.props[field] = typ
	}
	return m, nil
}

func (m mappings) overlay(o mappings) mappings {
	out := mappings{dynamic: o.dynamic, props: map[string]string{}}
	for k, v := range m.props {
		out.props[k] = v
	}
	for k, v := range o.props {
		out.props[k] = v
	}
	return out
}

func (s *Server) indexTemplate(w http.ResponseWriter, r *http.Request, name string) {
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		var def struct {
			IndexPatterns []string `json:"index_patterns"`
			Priority      int      `json:"priority"`
			Template      struct {
				Mappings map[string]any `json:"mappings"`
			} `json:"template"`
		}
		if err := json.Unmarshal(body, &def); err != nil {
			writeError(w, http.StatusBadRequest, "x_content_parse_exception", err.Error())
			return
		}
		if len(def.IndexPatterns) == 0 {
			writeError(w, http.StatusBadRequest, "action_request_validation_exception",
				"Validation Failed: 1: index patterns are missing;")
			return
		}
		m, err := parseMappings(def.Template.Mappings)
		if err != nil {
			writeError(w, http.StatusBadRequest, "mapper_parsing_exception", err.Error())
			return
		}
		s.templates[name] = template{patterns: def.IndexPatterns, mappings: m, body: body}
		writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
	case http.MethodGet:
		t, ok := s.templates[name]
		if !ok {
			writeError(w, http.StatusNotFound, "resource_not_found_exception", fmt.Sprintf("index template matching [%s] not found", name))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"index_templates": []any{
			map[string]any{"name": name, "index_template": json.RawMessage(t.body)}}})
	case http.MethodDelete:
		if _, ok := s.templates[name]; !ok {
			writeError(w, http.StatusNotFound, "resource_not_found_exception", fmt.Sprintf("index_template [%s] missing", name))
			return
		}
		delete(s.templates, name)
		writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
	default:
		writeError(w, http.StatusMethodNotAllowed, "illegal_argument_exception", "method not allowed")
	}
}

// templateFor returns the mappings of the templates matching name, the
// highest priority last so it wins.
func (s *Server) templateFor(name string) mappings {
	names := make([]string, 0, len(s.templates))
	for n := range s.templates {
		names = append(names, n)
	}
	sort.Strings(names)
	m := mappings{dynamic: true, props: map[string]string{}}
	for _, n := range names {
		for _, p := range s.templates[n].patterns {
			if ok, _ := path.Match(p, name); ok {
				m = m.overlay(s.templates[n].mappings)
				break
			}
		}
	}
	return m
}

func validIndexName(name string) error {
	if name == "" || strings.ToLower(name) != name || strings.ContainsAny(name, `\/*?"<>| ,#:`) || strings.HasPrefix(name, "_") {
		return fmt.Errorf("Invalid index name [%s], must be lowercase and not contain special characters", name)
	}
	return nil
}

func (s *Server) createIndex(w http.ResponseWriter, r *http.Request, name string) {
	if err := validIndexName(name); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_index_name_exception", err.Error())
		return
	}
	if _, ok := s.indices[name]; ok {
		writeError(w, http.StatusBadRequest, "resource_already_exists_exception", fmt.Sprintf("index [%s] already exists", name))
		return
	}
	var def struct {
		Mappings map[string]any `json:"mappings"`
	}
	if body, _ := io.ReadAll(r.Body); len(body) > 0 {
		if err := json.Unmarshal(body, &def); err != nil {
			writeError(w, http.StatusBadRequest, "x_content_parse_exception", err.Error())
			return
		}
	}
	m, err := parseMappings(def.Mappings)
	if err != nil {
		writeError(w, http.StatusBadRequest, "mapper_parsing_exception", err.Error())
		return
	}
	s.indices[name] = &index{mappings: s.templateFor(name).overlay(m), docs: map[string]*stored{}}
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

func (s *Server) deleteIndex(w http.ResponseWriter, pattern string) {
	names := s.resolve(pattern)
	if len(names) == 0 && !strings.Contains(pattern, "*") {
		writeError(w, http.StatusNotFound, "index_not_found_exception", "no such index ["+pattern+"]")
		return
	}
	for _, n := range names {
		delete(s.indices, n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
}

// resolve expands a comma-separated list of names and wildcards.
func (s *Server) resolve(expr string) []string {
	var out []string
	for _, p := range strings.Split(expr, ",") {
		for name := range s.indices {
			if ok, _ := path.Match(p, name); ok || p == "_all" {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// fieldError is a document field that does not fit its mapping.
type fieldError struct {
	field, typ, preview, cause string
}

// checkField validates v against typ, as a mapper would.
func checkField(typ string, v any) (cause string, ok bool) {
	switch typ {
	case "keyword", "text":
		switch v.(type) {
		case string, float64, bool:
			return "", true
		}
		return "Can't get text on a " + jsonKind(v), false
	case "date", "date_nanos":
		switch x := v.(type) {
		case string:
			if _, err := parseDate(x); err != nil {
				return fmt.Sprintf("failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", x), false
			}
			return "", true
		case float64:
			return "", true
		}
		return "Can't parse date from " + jsonKind(v), false
	case "long", "integer":
		switch x := v.(type) {
		case float64:
			if x == math.Trunc(x) {
				return "", true
			}
		case string:
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return "", true
			}
			return fmt.Sprintf("For input string: %q", x), false
		}
		return "Current token is not a number", false
	case "float", "double":
		switch x := v.(type) {
		case float64:
			return "", true
		case string:
			if _, err := strconv.ParseFloat(x, 64); err == nil {
				return "", true
			}
			return fmt.Sprintf("For input string: %q", x), false
		}
		return "Current token is not a number", false
	case "boolean":
		if v == true || v == false || v == "true" || v == "false" {
			return "", true
		}
		return fmt.Sprintf("Failed to parse value [%v] as only [true] or [false] are allowed.", v), false
	}
	return "", true
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "START_OBJECT"
	case []any:
		return "START_ARRAY"
	case nil:
		return "VALUE_NULL"
	}
	return "VALUE"
}

// dynamicType is what dynamic mapping picks for a new field.
func dynamicType(v any) string {
	switch x := v.(type) {
	case string:
		if _, err := parseDate(x); err == nil {
			return "date"
		}
		return "text"
	case float64:
		if x == math.Trunc(x) {
			return "long"
		}
		return "float"
	case bool:
		return "boolean"
	}
	return ""
}

// checkDoc validates a document and, for dynamic indices, maps new fields.
func (ix *index) checkDoc(src map[string]any) *fieldError {
	for field, v := range src {
		if v == nil {
			continue
		}
		typ, mapped := ix.mappings.props[field]
		if !mapped {
			if ix.mappings.dynamic {
				if t := dynamicType(v); t != "" {
					ix.mappings.props[field] = t
				}
			}
			continue
		}
		if cause, ok := checkField(typ, v); !ok {
			return &fieldError{field: field, typ: typ, preview: fmt.Sprint(v), cause: cause}
		}
	}
	return nil
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// parseDate reads strict_date_optional_time; times without a zone are UTC.
func parseDate(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unparseable date %q", s)
}
