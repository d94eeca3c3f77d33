package tokens

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/commands/authz"
	"github.com/berth-dev/berth/commands/httpjson"
	"github.com/berth-dev/berth/events"
)

// Router tells which route pattern serves a request; *http.ServeMux is one.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Middleware authenticates every request but those to the open paths
// (401 without a working token), authorizes it against its route's
// capability (403), and runs next with the token's name as the actor of
// whatever it appends. With an open registry it lets everything through.
func Middleware(reg *Registry, routes Router, next http.Handler, open ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reg.Open() || slices.Contains(open, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			unauthorized(w, "missing bearer token (Authorization: Bearer <token>)")
			return
		}
		select {
		case <-reg.Ready():
		case <-time.After(readyWait):
			httpjson.Write(w, http.StatusServiceUnavailable, httpjson.ErrorBody{Error: "token grants not loaded yet; retry"})
			return
		case <-r.Context().Done():
			return
		}
		p, err := reg.Authenticate(token)
		if err != nil {
			unauthorized(w, err.Error())
			return
		}
		_, pattern := routes.Handler(r)
		if pattern != "" {
			need := authz.Needed(pattern)
			if !authz.Allows(p.Role, need) {
				forbidden(w, fmt.Sprintf("token %s (role %s) lacks the %s capability", p.Name, p.Role, need))
				return
			}
		}
		w, done, ok := reg.projectCheck(w, r, p, pattern)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(events.WithActor(withPrincipal(r.Context(), p), p.Name)))
		done()
	})
}

// readyWait bounds how long a request waits for a starting server to
// have read the token grants.
const readyWait = 5 * time.Second

func forbidden(w http.ResponseWriter, msg string) {
	httpjson.Write(w, http.StatusForbidden, httpjson.ErrorBody{Error: msg})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="berth"`)
	httpjson.Write(w, http.StatusUnauthorized, httpjson.ErrorBody{Error: msg})
}
