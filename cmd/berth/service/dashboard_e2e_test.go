package service_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
	bt "github.com/berth-dev/berth/projections/dashboard/browsertest"
)

// TestDashboardOnDev opens the dashboard of a real `berth dev` (Docker
// engine, agents, gateway) in chromium, signed in with `berth dashboard`'s
// one-time link, and watches an app deploy and scale from the CLI.
func TestDashboardOnDev(t *testing.T) {
	image := testimage.EnsureT(t)
	const token = "dash-e2e-token"
	d := startDev(t, 2, false, func(c *service.DevConfig) { c.Server.Token = token })
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
	bt.WaitJS(t, tab, "overview shows dashweb 2/2 healthy without a reload", `(() => {
		const c = document.querySelector('tr[data-app="dashweb"] .healthy'); return !!c && c.textContent.trim() === "2/2" })()`)
	bt.Screenshot(t, tab, dir, "dev-overview")

	bt.Do(t, tab, chromedp.Navigate(base+"/apps/dashweb"))
	bt.WaitJS(t, tab, "app page with two serving instances", `document.querySelectorAll("#instances tbody tr .badge").length === 2`)
	bt.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
	bt.Eval[bool](t, tab, `window.notReloaded = true`)
	cli("scale", "dashweb", "3")
	bt.WaitJS(t, tab, "3/3 healthy on the same document", `window.notReloaded === true &&
		document.querySelector("#summary .healthy").textContent.trim() === "3/3"`)
	bt.Screenshot(t, tab, dir, "dev-app")

	bt.Do(t, tab, chromedp.Navigate(link))
	bt.WaitJS(t, tab, "the link works only once", `location.pathname.startsWith("/login") && !!document.querySelector(".error")`)
}
