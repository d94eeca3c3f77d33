package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
	"github.com/berth-dev/berth/events/natstest"
	bt "github.com/berth-dev/berth/projections/dashboard/browsertest"
)

// TestDashboardOnDev opens the dashboard of a real `berth dev` (Docker
// engine, agents, gateway) in chromium, signed in with `berth dashboard`'s
// one-time link, and watches an app deploy and scale from the CLI.
func TestDashboardOnDev(t *testing.T) {
	image := testimage.EnsureT(t)
	const token = "dash-e2e-token"
	d := startDev(t, 2, true, func(c *service.DevConfig) { c.Server.Token = token })
	base := "http://" + d.APIAddr.String()
	cli := func(args ...string) string { return berth(t, d, append([]string{"--token", token}, args...)...) }

	tab := bt.Start(t)
	dir := bt.ShotsDir(t)
	bt.Do(t, tab, chromedp.Navigate(base+"/"))
	bt.WaitJS(t, tab, "the dashboard asks to sign in", `location.pathname === "/login"`)

	link := strings.Fields(cli("dashboard"))[0]
	if !strings.HasPrefix(link, base+"/login/link?code=") {
		t.Fatalf("berth dashboard printed %q", link)
	}
	bt.Do(t, tab, chromedp.Navigate(link))
	bt.WaitJS(t, tab, "signed in, empty state", `location.pathname === "/" && document.body.innerText.includes("No apps yet")`)
	bt.WaitJS(t, tab, "both hosts", `document.querySelectorAll("#hosts tbody tr").length === 2`)
	bt.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)

	cli("deploy", "dashweb", "--image", image, "--replicas", "2", "--memory", "64m", "--wait", "--timeout", "2m")
	bt.WaitJSWithin(t, tab, time.Minute, "overview shows dashweb 2/2 healthy without a reload", `(() => {
		const c = document.querySelector('tr[data-app="dashweb"] .healthy'); return !!c && c.textContent.trim() === "2/2" })()`)
	bt.Screenshot(t, tab, dir, "dev-overview")

	bt.Do(t, tab, chromedp.Navigate(base+"/apps/dashweb"))
	bt.WaitJS(t, tab, "app page with two serving instances", `document.querySelectorAll("#instances tbody tr .badge").length === 2`)
	bt.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
	bt.Eval[bool](t, tab, `window.notReloaded = true`)
	cli("scale", "dashweb", "3")
	// Containers start and pass health checks: the machine may be busy.
	bt.WaitJSWithin(t, tab, 2*time.Minute, "3/3 healthy on the same document", `window.notReloaded === true &&
		document.querySelector("#summary .healthy").textContent.trim() === "3/3"`)
	bt.Screenshot(t, tab, dir, "dev-app")

	// Log search and live tail, through the API's own log endpoints.
	if resp, err := viaGateway(d, "dashweb", "/log?line=dash-search-needle"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("log request: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	bt.Eval[bool](t, tab, `(() => { document.getElementById("log-q").value = "dash-search-needle"; return true })()`)
	natstest.Poll(t, time.Minute, 500*time.Millisecond, "the line found", func() bool {
		return bt.Eval[bool](t, tab, `(() => { if ([...document.querySelectorAll("#log-lines li")].some(li => li.textContent.includes("dash-search-needle"))) return true;
			document.getElementById("log-form").requestSubmit(); return false })()`)
	})
	bt.Eval[bool](t, tab, `(() => { document.getElementById("log-q").value = "dash-tail-needle";
		const f = document.getElementById("log-follow"); f.checked = true; f.dispatchEvent(new Event("change")); return true })()`)
	bt.WaitJS(t, tab, "following", `document.getElementById("log-status").textContent === "following"`)
	natstest.Poll(t, time.Minute, 500*time.Millisecond, "a new line tailed", func() bool {
		if resp, err := viaGateway(d, "dashweb", "/log?line=dash-tail-needle"); err == nil {
			resp.Body.Close()
		}
		return bt.Eval[bool](t, tab, `[...document.querySelectorAll("#log-lines li")].some(li => li.textContent.includes("dash-tail-needle"))`)
	})
	bt.Screenshot(t, tab, dir, "dev-app-logs")

	bt.Do(t, tab, chromedp.Navigate(link))
	bt.WaitJS(t, tab, "the link works only once", `location.pathname.startsWith("/login") && !!document.querySelector(".error")`)
}
