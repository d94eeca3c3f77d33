package httpjson

import (
	"net/http"
)

// Routed serves mux, answering what no route matches (404) or what a
// route does not allow (405, with its Allow header) in the same JSON
// error form as every other error, instead of the mux's plain text.
func Routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // it sets the path values; Handler does not
			return
		}
		// The mux's own answer, to learn its status and Allow header.
		rec := &statusOnly{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			Write(w, rec.status, ErrorBody{Error: r.Method + " is not allowed on " + r.URL.Path + " (allowed: " + rec.header.Get("Allow") + ")"})
		case http.StatusNotFound:
			Write(w, rec.status, ErrorBody{Error: "no such endpoint: " + r.URL.Path})
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// statusOnly records a status and headers and discards the body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(b), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
