package readapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/berth-dev/berth/commands/httpjson"
)

func badRequest(format string, args ...any) error {
	return httpjson.BadRequest{Msg: fmt.Sprintf(format, args...)}
}

// intParam reads an optional integer query parameter within [lo, hi];
// absent is 0.
func intParam(r *http.Request, name string, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s: %q is not a number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// flag reads an optional boolean query parameter (1/true/0/false).
func flag(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s: %q is not 1, 0, true or false", name, v)
	}
	return b, nil
}
