package dashboard

import (
	"net/http"

	"github.com/berth-dev/berth/commands"
)

// logs serves GET /ui/logs/{app} and /ui/logs/{app}/follow for a signed-in
// browser by handing the request to the API's own log search and follow
// (cfg.API, behind no bearer check of its own), so the page searches and
// tails exactly as `berth logs` does.
func (d *Dashboard) logs(follow bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app := r.PathValue("app")
		if err := commands.ValidateAppName(app); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/v1/apps/" + app + "/logs"
		if follow {
			r2.URL.Path += "/follow"
		}
		r2.URL.RawPath = ""
		r2.RequestURI = ""
		d.cfg.API.ServeHTTP(w, r2)
	}
}
