package elastictest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

type hit struct {
	index string
	id    string
	doc   *stored
	props map[string]string
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, expr string) {
	q := r.URL.Query()
	names := s.resolve(expr)
	if len(names) == 0 && q.Get("allow_no_indices") != "true" {
		writeError(w, http.StatusNotFound, "index_not_found_exception", "no such index ["+expr+"]")
		return
	}
	var body struct {
		Query map[string]any `json:"query"`
		Sort  []any          `json:"sort"`
		Size  *int           `json:"size"`
		From  int            `json:"from"`
	}
	if raw, _ := io.ReadAll(r.Body); len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			writeError(w, http.StatusBadRequest, "parsing_exception", err.Error())
			return
		}
	}
	size := 10
	if body.Size != nil {
		size = *body.Size
	}
	if size+body.From > 10000 {
		writeError(w, http.StatusBadRequest, "illegal_argument_exception",
			"Result window is too large, from + size must be less than or equal to: [10000]")
		return
	}
	var hits []hit
	for _, n := range names {
		ix := s.indices[n]
		for id, d := range ix.docs {
			h := hit{index: n, id: id, doc: d, props: ix.mappings.props}
			ok := true
			if body.Query != nil {
				var err error
				if ok, err = matches(body.Query, h); err != nil {
					writeError(w, http.StatusBadRequest, "parsing_exception", err.Error())
					return
				}
			}
			if ok {
				hits = append(hits, h)
			}
		}
	}
	keys, err := sortKeys(body.Sort, names, s)
	if err != nil {
		writeError(w, http.StatusBadRequest, "search_phase_execution_exception", err.Error())
		return
	}
	sort.SliceStable(hits, func(i, j int) bool {
		for _, k := range keys {
			if c := compare(k, hits[i], hits[j]); c != 0 {
				return c < 0
			}
		}
		return hits[i].index+hits[i].id < hits[j].index+hits[j].id
	})
	total := len(hits)
	hits = hits[min(body.From, len(hits)):]
	hits = hits[:min(size, len(hits))]
	out := make([]any, 0, len(hits))
	for _, h := range hits {
		e := map[string]any{"_index": h.index, "_type": "_doc", "_id": h.id, "_source": json.RawMessage(h.doc.raw)}
		if len(keys) > 0 {
			e["_score"] = nil
			var sv []any
			for _, k := range keys {
				sv = append(sv, sortValue(k, h))
			}
			e["sort"] = sv
		} else {
			e["_score"] = 1.0
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"took": 2, "timed_out": false,
		"_shards": map[string]any{"total": len(names), "successful": len(names), "skipped": 0, "failed": 0},
		"hits":    map[string]any{"total": map[string]any{"value": total, "relation": "eq"}, "max_score": nil, "hits": out},
	})
}

// matches evaluates the query DSL subset: bool, term, match, range, match_all.
func matches(q map[string]any, h hit) (bool, error) {
	if len(q) != 1 {
		return false, fmt.Errorf("[_na] query malformed, must start with start_object")
	}
	for kind, arg := range q {
		body, ok := arg.(map[string]any)
		if !ok {
			return false, fmt.Errorf("[%s] query malformed, no start_object after query name", kind)
		}
		switch kind {
		case "match_all":
			return true, nil
		case "bool":
			return matchBool(body, h)
		case "term":
			field, v, err := single(kind, body, "value")
			if err != nil {
				return false, err
			}
			return termMatches(h, field, v), nil
		case "match":
			field, v, err := single(kind, body, "query")
			if err != nil {
				return false, err
			}
			op := "or"
			if m, ok := body[field].(map[string]any); ok {
				if o, ok := m["operator"].(string); ok {
					op = strings.ToLower(o)
				}
			}
			return textMatches(h, field, fmt.Sprint(v), op == "and"), nil
		case "range":
			return rangeMatches(body, h)
		default:
			return false, fmt.Errorf("unknown query [%s]", kind)
		}
	}
	return false, nil
}

// single reads {"field": v} or {"field": {key: v, ...}}.
func single(kind string, body map[string]any, key string) (string, any, error) {
	if len(body) != 1 {
		return "", nil, fmt.Errorf("[%s] query doesn't support multiple fields", kind)
	}
	for field, v := range body {
		if m, ok := v.(map[string]any); ok {
			return field, m[key], nil
		}
		return field, v, nil
	}
	return "", nil, nil
}

func clauses(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func matchBool(b map[string]any, h hit) (bool, error) {
	for key := range b {
		switch key {
		case "must", "filter", "should", "must_not", "minimum_should_match", "boost":
		default:
			return false, fmt.Errorf("[bool] query does not support [%s]", key)
		}
	}
	for _, key := range []string{"must", "filter"} {
		for _, c := range clauses(b[key]) {
			if ok, err := matches(c, h); err != nil || !ok {
				return false, err
			}
		}
	}
	for _, c := range clauses(b["must_not"]) {
		if ok, err := matches(c, h); err != nil || ok {
			return false, err
		}
	}
	should := clauses(b["should"])
	if len(should) == 0 || b["must"] != nil || b["filter"] != nil {
		return true, nil
	}
	for _, c := range should {
		if ok, err := matches(c, h); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func termMatches(h hit, field string, v any) bool {
	got, ok := h.doc.source[field]
	if !ok {
		return false
	}
	if h.props[field] == "text" {
		want := strings.ToLower(fmt.Sprint(v))
		for _, t := range tokens(fmt.Sprint(got)) {
			if t == want {
				return true
			}
		}
		return false
	}
	return fmt.Sprint(got) == fmt.Sprint(v)
}

// tokens is a close enough standard analyzer: lower-cased runs of letters
// and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func textMatches(h hit, field, query string, all bool) bool {
	got, ok := h.doc.source[field]
	if !ok {
		return false
	}
	have := map[string]bool{}
	for _, t := range tokens(fmt.Sprint(got)) {
		have[t] = true
	}
	want := tokens(query)
	if len(want) == 0 {
		return false
	}
	for _, t := range want {
		if have[t] && !all {
			return true
		}
		if !have[t] && all {
			return false
		}
	}
	return all
}

func rangeMatches(body map[string]any, h hit) (bool, error) {
	field, _, err := single("range", body, "")
	if err != nil {
		return false, err
	}
	bounds, ok := body[field].(map[string]any)
	if !ok {
		return false, fmt.Errorf("[range] query malformed, no start_object after field name")
	}
	got, ok := h.doc.source[field]
	if !ok {
		return false, nil
	}
	typ := h.props[field]
	for op, b := range bounds {
		if op == "format" || op == "time_zone" || op == "boost" || op == "include_lower" || op == "include_upper" || b == nil {
			continue
		}
		c, err := compareValues(typ, got, b)
		if err != nil {
			return false, err
		}
		switch op {
		case "gte", "from":
			ok = c >= 0
		case "gt":
			ok = c > 0
		case "lte", "to":
			ok = c <= 0
		case "lt":
			ok = c < 0
		default:
			return false, fmt.Errorf("[range] query does not support [%s]", op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// compareValues compares a document value with a query value by field type.
// A date field keeps milliseconds, as Elasticsearch's date type does.
func compareValues(typ string, doc, q any) (int, error) {
	switch typ {
	case "date", "date_nanos":
		a, err := dateOf(doc, typ)
		if err != nil {
			return 0, err
		}
		b, err := dateOf(q, "date_nanos")
		if err != nil {
			return 0, fmt.Errorf("failed to parse date field [%v]", q)
		}
		return a.Compare(b), nil
	case "long", "integer", "float", "double":
		a, _ := strconv.ParseFloat(fmt.Sprint(doc), 64)
		b, _ := strconv.ParseFloat(fmt.Sprint(q), 64)
		switch {
		case a < b:
			return -1, nil
		case a > b:
			return 1, nil
		}
		return 0, nil
	}
	return strings.Compare(fmt.Sprint(doc), fmt.Sprint(q)), nil
}

func dateOf(v any, typ string) (time.Time, error) {
	var t time.Time
	switch x := v.(type) {
	case string:
		var err error
		if t, err = parseDate(x); err != nil {
			return t, err
		}
	case float64:
		t = time.UnixMilli(int64(x)).UTC()
	default:
		return t, fmt.Errorf("not a date: %v", v)
	}
	if typ == "date" {
		t = t.Truncate(time.Millisecond)
	}
	return t, nil
}

type sortKey struct {
	field string
	desc  bool
	typ   string
}

func sortKeys(spec []any, names []string, s *Server) ([]sortKey, error) {
	var keys []sortKey
	for _, e := range spec {
		var k sortKey
		switch x := e.(type) {
		case string:
			k.field = x
		case map[string]any:
			for f, o := range x {
				k.field = f
				switch ov := o.(type) {
				case string:
					k.desc = ov == "desc"
				case map[string]any:
					k.desc = ov["order"] == "desc"
				}
			}
		}
		if k.field == "_score" || k.field == "_doc" {
			continue
		}
		for _, n := range names {
			if t := s.indices[n].mappings.props[k.field]; t != "" {
				k.typ = t
			}
		}
		if k.typ == "" && len(names) > 0 {
			return nil, fmt.Errorf("No mapping found for [%s] in order to sort on", k.field)
		}
		if k.typ == "text" {
			return nil, fmt.Errorf("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index.", k.field)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func compare(k sortKey, a, b hit) int {
	av, aok := a.doc.source[k.field]
	bv, bok := b.doc.source[k.field]
	switch {
	case !aok && !bok:
		return 0
	case !aok:
		return 1 // missing values sort last either way
	case !bok:
		return -1
	}
	c, _ := compareValues(k.typ, av, bv)
	if k.desc {
		c = -c
	}
	return c
}

func sortValue(k sortKey, h hit) any {
	v, ok := h.doc.source[k.field]
	if !ok {
		return nil
	}
	if k.typ == "date" || k.typ == "date_nanos" {
		if t, err := dateOf(v, k.typ); err == nil {
			return t.UnixMilli()
		}
	}
	return v
}
