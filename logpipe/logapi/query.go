package logapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/logpipe/search"
)

// parseQuery reads a search from the path and query string; anything
// malformed (a NUL or invalid UTF-8 in the text included) is a 400.
func parseQuery(r *http.Request) (search.Query, error) {
	app := r.PathValue("app")
	if err := commands.ValidateAppName(app); err != nil {
		return search.Query{}, err
	}
	v := r.URL.Query()
	q := search.Query{App: app, Instance: v.Get("instance"), Text: v.Get("q")}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, httpjson.BadRequest{Msg: fmt.Sprintf("%s: %q is not an RFC 3339 time", name, s)}
			}
			*dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		if _, err := fmt.Sscan(s, &q.Limit); err != nil {
			return q, httpjson.BadRequest{Msg: fmt.Sprintf("limit: %q is not a number", s)}
		}
	}
	if err := q.Validate(); err != nil {
		return q, httpjson.BadRequest{Msg: err.Error()}
	}
	return q, nil
}
