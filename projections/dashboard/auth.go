package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Cookie names. Renaming one signs everybody out.
const (
	SessionCookie = "berth_session"
	CSRFCookie    = "berth_csrf"
	// CSRFField is the form field every action must echo the CSRF cookie in.
	CSRFField = "csrf"
)

// SessionTTL is how long a browser stays signed in.
const SessionTTL = 12 * time.Hour

// auth decides who may see the pages. With no API token everything is
// open, as the API is. Sessions are stateless: the cookie carries its
// expiry and a MAC keyed by the API token, so every server sharing the
// token accepts it, and changing the token signs everybody out.
type auth struct {
	token string
	key   []byte
	now   func() time.Time
}

func newAuth(token string, now func() time.Time) auth {
	k := sha256.Sum256([]byte("berth dashboard session\x00" + token))
	return auth{token: token, key: k[:], now: now}
}

func (a auth) open() bool { return a.token == "" }

func (a auth) mac(msg string) string {
	h := hmac.New(sha256.New, a.key)
	h.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// newSession is a cookie value valid for SessionTTL.
func (a auth) newSession() string {
	exp := strconv.FormatInt(a.now().Add(SessionTTL).Unix(), 10)
	return exp + "." + a.mac("session|"+exp)
}

func (a auth) validSession(v string) bool {
	exp, mac, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || a.now().Unix() >= n {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(a.mac("session|"+exp)))
}

// validToken compares a pasted or bearer token in constant time.
func (a auth) validToken(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(a.token)) == 1
}

// allowed reports whether the request carries the API token (as a bearer
// header) or a valid session cookie.
func (a auth) allowed(r *http.Request) bool {
	if a.open() {
		return true
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && a.validToken(t) {
		return true
	}
	c, err := r.Cookie(SessionCookie)
	return err == nil && a.validSession(c.Value)
}

func (a auth) setSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: a.newSession(), Path: "/",
		MaxAge: int(SessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// csrfToken is the browser's CSRF token, set as a cookie on first use.
// Forms echo it (double submit): another site can make the browser send
// the cookie (not even that, with SameSite=Strict) but cannot read it.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) >= 16 {
		return c.Value
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	return v
}

// sameOrigin refuses a state-changing request that a browser marks as
// coming from elsewhere, and one whose echoed CSRF token is missing or
// does not match its cookie.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil || len(c.Value) < 16 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue(CSRFField)), []byte(c.Value)) == 1
}

// localPath keeps a post-login redirect on this site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}
