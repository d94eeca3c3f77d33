package dashboard

import (
	"net/http"

	"github.com/berth-dev/berth/commands/httpjson"
)

type loginView struct {
	Next, Error string
}

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if d.auth.allowed(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, "login", view{Title: "Sign in", CSRF: csrfToken(w, r),
		Now: d.cfg.Now().UTC(), Data: loginView{Next: next}})
}

// login takes a pasted API token and answers with a session cookie.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := localPath(r.PostFormValue("next"))
	if !sameOrigin(r) {
		http.Error(w, "refused: this form must be sent from the sign-in page", http.StatusForbidden)
		return
	}
	if d.auth.open() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !d.auth.validToken(r.PostFormValue("token")) {
		d.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", CSRF: csrfToken(w, r),
			Now: d.cfg.Now().UTC(), Data: loginView{Next: next, Error: "That is not the API token (BERTH_TOKEN)."}})
		return
	}
	d.auth.setSession(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "refused: sign out from the dashboard's own button", http.StatusForbidden)
		return
	}
	clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// redeemLink signs the browser in with a one-time code.
func (d *Dashboard) redeemLink(w http.ResponseWriter, r *http.Request) {
	if err := d.links.redeem(r.Context(), r.URL.Query().Get("code")); err != nil {
		d.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", CSRF: csrfToken(w, r),
			Now: d.cfg.Now().UTC(), Data: loginView{Next: "/", Error: ErrLinkUsed.Error()}})
		return
	}
	if !d.auth.open() {
		d.auth.setSession(w)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// SignInLink is the answer of POST /v1/dashboard/links.
type SignInLink struct {
	// Path is relative to the API's address: /login/link?code=...
	Path      string `json:"path"`
	ExpiresIn int    `json:"expires_in_seconds"`
}

func (d *Dashboard) issueLink(w http.ResponseWriter, r *http.Request) {
	code, err := d.links.issue(r.Context())
	if err != nil {
		httpjson.WriteError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, SignInLink{Path: "/login/link?code=" + code, ExpiresIn: int(LinkTTL.Seconds())})
}
