package dashboard

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"ago":    ago,
	"clock":  func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"stamp":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ms":     func(t time.Time) int64 { return t.UnixMilli() },
	"pct":    pct,
	"newkey": newKey,
	"bytes":  func(v any) string { return humanBytes(int64(toFloat(v))) },
	"f1":     func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f0":     func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"join":   strings.Join,
	"path":   url.PathEscape,
	"pct100": func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"args":   func(p ReleasesPanel, action, label string) rolloutButton { return rolloutButton{p, action, label} },
}

// rolloutButton is one rollout action's form.
type rolloutButton struct {
	P             ReleasesPanel
	Action, Label string
}

// pages holds each page's template set: the layout plus its own file.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.tmpl", "templates/parts.tmpl"))
	out := map[string]*template.Template{}
	for _, p := range []string{"login", "overview", "app", "hosts", "events", "error"} {
		t := template.Must(base.Clone())
		out[p] = template.Must(t.ParseFS(templateFS, "templates/"+p+".tmpl"))
	}
	return out
}()

// view is what every page template gets.
type view struct {
	Title string
	// Nav is the active section: overview, hosts, events or "".
	Nav string
	// Stream is the page's live feed URL; empty for none.
	Stream string
	CSRF   string
	// Signed: there is a session to sign out of.
	Signed bool
	CanAct bool
	Now    time.Time
	Data   any
}

// render writes the page, or with ?partial=1 only its live regions.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	name := "layout"
	if r.URL.Query().Get("partial") == "1" {
		name = "main"
	}
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		d.log.Error("render page", "page", page, "err", err)
		http.Error(w, "the page could not be drawn; the server log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// pageFunc fills a page's view; an error becomes the error page.
type pageFunc func(r *http.Request, v *view) (page string, err error)

// page checks who is asking, then draws the page.
func (d *Dashboard) page(fill pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.auth.allowed(r) {
			if r.URL.Query().Get("partial") == "1" {
				http.Error(w, "signed out", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := view{CSRF: csrfToken(w, r), Signed: !d.auth.open(), CanAct: d.canAct(r), Now: d.cfg.Now().UTC()}
		page, err := fill(r, &v)
		if err != nil {
			d.renderError(w, r, err)
			return
		}
		d.render(w, r, http.StatusOK, page, v)
	}
}

// canAct reports whether the asker may change things. Everyone who holds
// the one API token may; roles narrow this when tokens carry them.
func (d *Dashboard) canAct(r *http.Request) bool { return d.auth.allowed(r) }

// signedIn guards a non-page endpoint: 401 instead of a redirect.
func (d *Dashboard) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.auth.allowed(r) {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

// errStatus picks the status of a page error; the command side's errors
// know theirs.
func errStatus(err error) int {
	var st interface{ HTTPStatus() int }
	switch {
	case errors.As(err, &st):
		return st.HTTPStatus()
	case errors.Is(err, commands.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, commands.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, commands.ErrRejected), errors.Is(err, events.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := errStatus(err)
	msg := err.Error()
	if status >= 500 && r.Context().Err() != nil {
		return // the browser went away; nobody reads the answer
	}
	if status >= 500 {
		d.log.Error("dashboard page failed", "path", r.URL.Path, "err", err)
		msg = "something failed on the server; its log says what"
	}
	d.render(w, r, status, "error", view{Title: http.StatusText(status), Signed: !d.auth.open(),
		Now: d.cfg.Now().UTC(), Data: struct {
			Status int
			Msg    string
		}{status, msg}})
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// pct is used as a share of total, 0..100; numbers of any kind.
func pct(used, total any) int {
	u, t := toFloat(used), toFloat(total)
	if t <= 0 {
		return 0
	}
	return min(100, int(100*u/t+0.5))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return 0
}

// newKey is a fresh idempotency key for one rendered form, so a form sent
// twice (a double click, a retried POST) applies once.
func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "dash-" + base64.RawURLEncoding.EncodeToString(b)
}
