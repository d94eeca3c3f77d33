package dashboard

import (
	"net/http"
	"strconv"
)

func (d *Dashboard) eventsPage(r *http.Request, v *view) (string, error) {
	at := d.seen(r)
	evs, err := recentEvents(r.Context(), d.cfg.DB, 200)
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Events", "events", evs
	v.Stream = "/ui/stream?after=" + strconv.FormatUint(at, 10)
	return "events", nil
}
