package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/commands"
)

// actionFunc decides what command a form asks for.
type actionFunc func(r *http.Request) (commands.Decider, error)

// action guards a form post: signed in, allowed to act, sent from the
// dashboard itself (CSRF). The command then runs through the same path as
// the API's, with the form's idempotency key, and the browser is sent
// back to the app page naming the events it appended.
func (d *Dashboard) action(decide actionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if !d.auth.allowed(r) || !d.canAct(r) {
			http.Error(w, "refused: sign in with a token that may change apps", http.StatusForbidden)
			return
		}
		if !sameOrigin(r) {
			http.Error(w, "refused: the request did not come from the dashboard (CSRF check)", http.StatusForbidden)
			return
		}
		app := r.PathValue("app")
		dec, err := decide(r)
		if err != nil {
			d.renderError(w, r, err)
			return
		}
		key := r.PostFormValue("key")
		if len(key) > 128 {
			key = ""
		}
		res, err := d.cfg.Commands.Execute(r.Context(), app, key, dec)
		if err != nil {
			d.renderError(w, r, fmt.Errorf("%s: %w", app, err))
			return
		}
		done := "nothing changed"
		if len(res.Types) > 0 {
			done = strings.Join(res.Types, ", ")
		} else if res.Duplicate {
			done = "already done"
		}
		q := url.Values{"done": {done}, "seen": {strconv.FormatUint(res.Seq, 10)}}
		http.Redirect(w, r, "/apps/"+url.PathEscape(app)+"?"+q.Encode(), http.StatusSeeOther)
	}
}

func (d *Dashboard) scale(r *http.Request) (commands.Decider, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("replicas")))
	if err != nil {
		return nil, &commands.FieldError{Field: "replicas", Problem: fmt.Sprintf("%q is not a whole number", r.PostFormValue("replicas"))}
	}
	return commands.Scale{App: r.PathValue("app"), Replicas: n}.Decide, nil
}

func (d *Dashboard) healthFail(r *http.Request) (commands.Decider, error) {
	return commands.HealthFail{App: r.PathValue("app"), Instance: r.PathValue("instance"),
		Reason: "failed from the dashboard", Source: "dashboard"}.Decide, nil
}

func (d *Dashboard) rolloutAction(r *http.Request) (commands.Decider, error) {
	switch a := r.PathValue("action"); a {
	case commands.ActionPause, commands.ActionResume, commands.ActionPromote, commands.ActionAbort:
		return commands.RolloutAction{App: r.PathValue("app"), Action: a,
			Reason: a + " requested from the dashboard"}.Decide, nil
	default:
		return nil, &commands.FieldError{Field: "action", Problem: fmt.Sprintf("%q is not pause, resume, promote or abort", a)}
	}
}

// rollback puts release "to" back; empty means the last good one.
func (d *Dashboard) rollback(r *http.Request) (commands.Decider, error) {
	to := 0
	if v := strings.TrimSpace(r.PostFormValue("to")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, &commands.FieldError{Field: "to", Problem: fmt.Sprintf("%q is not a release number", v)}
		}
		to = n
	}
	return commands.Rollback{App: r.PathValue("app"), To: to}.Decide, nil
}
