package elastictest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
)

func (s *Server) bulk(w http.ResponseWriter, r *http.Request, defaultIndex string) {
	body, _ := io.ReadAll(r.Body)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-ndjson" && ct != "application/json" {
		writeError(w, http.StatusNotAcceptable, "illegal_argument_exception",
			fmt.Sprintf("Content-Type header [%s] is not supported", r.Header.Get("Content-Type")))
		return
	}
	refuse := func(status int, typ, reason string) {
		s.bulks = append(s.bulks, BulkRequest{Status: status, Bytes: len(body)})
		writeError(w, status, typ, reason)
	}
	switch f := &s.faults; {
	case f.down:
		refuse(http.StatusServiceUnavailable, "cluster_block_exception",
			"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];")
		return
	case f.failRequests > 0:
		f.failRequests--
		if f.failStatus == http.StatusTooManyRequests {
			refuse(f.failStatus, "es_rejected_execution_exception",
				"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=1024]")
		} else {
			refuse(f.failStatus, "unavailable_shards_exception", "[berth-logs][0] primary shard is not active")
		}
		return
	}

	type action struct {
		op        string
		index, id string
		source    []byte
	}
	var actions []action
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 100<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var meta map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(line, &meta); err != nil || len(meta) != 1 {
			refuse(http.StatusBadRequest, "illegal_argument_exception", "Malformed action/metadata line ["+string(line)+"]")
			return
		}
		var a action
		for op, m := range meta {
			a = action{op: op, index: m.Index, id: m.ID}
		}
		if a.index == "" {
			a.index = defaultIndex
		}
		if a.op != "index" && a.op != "create" {
			refuse(http.StatusBadRequest, "illegal_argument_exception", "Unsupported action in this stand-in: ["+a.op+"]")
			return
		}
		if !sc.Scan() {
			refuse(http.StatusBadRequest, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
			return
		}
		a.source = bytes.Clone(sc.Bytes())
		actions = append(actions, a)
	}
	if len(actions) == 0 {
		refuse(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}

	req := BulkRequest{Status: http.StatusOK, Bytes: len(body)}
	items := make([]any, 0, len(actions))
	anyErrors := false
	for n, a := range actions {
		req.IDs = append(req.IDs, a.id)
		res := s.indexOne(a.op, a.index, a.id, a.source, n)
		if res["error"] != nil {
			anyErrors = true
		}
		items = append(items, map[string]any{a.op: res})
	}
	s.bulks = append(s.bulks, req)
	writeJSON(w, http.StatusOK, map[string]any{"took": 3, "errors": anyErrors, "items": items})
}

// indexOne applies one index or create action and returns its item result.
func (s *Server) indexOne(op, indexName, id string, source []byte, n int) map[string]any {
	res := map[string]any{"_index": indexName, "_type": "_doc", "_id": id}
	fail := func(status int, typ, reason string, cause map[string]any) map[string]any {
		e := map[string]any{"type": typ, "reason": reason, "index": indexName}
		if cause != nil {
			e["caused_by"] = cause
		}
		res["status"], res["error"] = status, e
		return res
	}
	if s.faults.rejectItems > 0 {
		s.faults.rejectItems--
		return fail(http.StatusTooManyRequests, "es_rejected_execution_exception",
			"rejected execution of org.elasticsearch.action.support.replication.TransportWriteAction$1 on EsThreadPoolExecutor[name = berth-es-test/write, queue capacity = 10000]", nil)
	}
	if err := validIndexName(indexName); err != nil {
		return fail(http.StatusBadRequest, "invalid_index_name_exception", err.Error(), nil)
	}
	if id == "" {
		id = fmt.Sprintf("auto-%d-%d", len(s.bulks), n)
		res["_id"] = id
	}
	var src map[string]any
	if err := json.Unmarshal(source, &src); err != nil {
		return fail(http.StatusBadRequest, "mapper_parsing_exception", "failed to parse",
			map[string]any{"type": "not_x_content_exception", "reason": "Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes"})
	}
	ix, ok := s.indices[indexName]
	if !ok {
		ix = &index{mappings: s.templateFor(indexName), docs: map[string]*stored{}}
		s.indices[indexName] = ix
	}
	if fe := ix.checkDoc(src); fe != nil {
		return fail(http.StatusBadRequest, "mapper_parsing_exception",
			fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'", fe.field, fe.typ, id, fe.preview),
			map[string]any{"type": "illegal_argument_exception", "reason": fe.cause})
	}
	prev, exists := ix.docs[id]
	if exists && op == "create" {
		return fail(http.StatusConflict, "version_conflict_engine_exception",
			fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", id, prev.version), nil)
	}
	version, status, result := int64(1), http.StatusCreated, "created"
	if exists {
		version, status, result = prev.version+1, http.StatusOK, "updated"
	}
	ix.docs[id] = &stored{source: src, raw: source, version: version}
	res["_version"], res["result"], res["status"] = version, result, status
	res["_shards"] = map[string]any{"total": 2, "successful": 1, "failed": 0}
	res["_seq_no"], res["_primary_term"] = ix.seq, 1
	ix.seq++
	return res
}
