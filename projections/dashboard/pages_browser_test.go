package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/projections/dashboard"
	"github.com/berth-dev/berth/projections/dashboard/browsertest"
)

// seed registers two hosts and deploys web with two healthy instances.
func seed(t *testing.T, e *env) {
	t.Helper()
	e.append(t,
		events.HostRegistered{Host: "dh1", Addr: "127.0.0.1", Zone: "zone-a", CPUs: 4, MemoryBytes: 8 << 30, PortMin: 20000, PortMax: 20999},
		events.HostRegistered{Host: "dh2", Addr: "127.0.0.2", Zone: "zone-b", CPUs: 4, MemoryBytes: 8 << 30, PortMin: 21000, PortMax: 21999},
	)
	two := 2
	e.run(t, "web", commands.Deploy{App: "web", Image: "berth-testapp:latest", Replicas: &two}.Decide)
	e.startInstance(t, "web", "web-aaaa01", "dh1", 20001)
	e.startInstance(t, "web", "web-bbbb02", "dh2", 21001)
	natstest.Eventually(t, 10*time.Second, "web projected with 2 healthy", func() bool {
		a, err := e.Reads.App(context.Background(), "web")
		return err == nil && a.Healthy == 2
	})
}

// signIn pastes the token into the sign-in form.
func signIn(t *testing.T, tab context.Context, base, token string) {
	t.Helper()
	browsertest.Do(t, tab, chromedp.Navigate(base+"/"))
	browsertest.WaitJS(t, tab, "sign-in form", `location.pathname === "/login" && !!document.getElementById("token")`)
	browsertest.Do(t, tab, chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Submit(chromedp.CSS("#token")))
}

func TestDashboardInBrowser(t *testing.T) {
	e := start(t)
	seed(t, e)
	tab := browsertest.Start(t)
	dir := browsertest.ShotsDir(t)

	t.Run("sign-in refuses a wrong token", func(t *testing.T) {
		signIn(t, tab, e.URL, "not-the-token")
		browsertest.WaitJS(t, tab, "error shown", `!!document.querySelector(".error") && location.pathname === "/login"`)
	})

	t.Run("overview lists the app with its healthy count", func(t *testing.T) {
		signIn(t, tab, e.URL, testToken)
		browsertest.WaitJS(t, tab, "overview with web 2/2", `(() => {
			const r = document.querySelector('tr[data-app="web"] .healthy');
			return location.pathname === "/" && !!r && r.textContent.trim() === "2/2" })()`)
		browsertest.WaitJS(t, tab, "hosts listed", `document.querySelectorAll("#hosts tbody tr").length === 2`)
		browsertest.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
		browsertest.Screenshot(t, tab, dir, "overview")
	})

	before := time.Now()
	t.Run("scaling from the CLI path changes the app page without a reload", func(t *testing.T) {
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "app page with 2 instances", `document.querySelectorAll("#instances tbody tr").length === 2`)
		browsertest.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
		browsertest.Eval[bool](t, tab, `window.notReloaded = true`)
		// The slider steps by whole seconds: let the clock pass the second
		// the page's state is from, so a moment before the scale exists.
		boundary := before.Truncate(time.Second).Add(time.Second)
		natstest.Eventually(t, 3*time.Second, "clock past "+boundary.String(), func() bool { return time.Now().After(boundary) })
		e.run(t, "web", commands.Scale{App: "web", Replicas: 3}.Decide)
		e.startInstance(t, "web", "web-cccc03", "dh1", 20002)
		browsertest.WaitJS(t, tab, "3 instances, 3/3 healthy, same document", `window.notReloaded === true &&
			document.querySelectorAll("#instances tbody tr").length === 3 &&
			document.querySelector("#summary .healthy").textContent.trim() === "3/3"`)
		browsertest.Screenshot(t, tab, dir, "app")
	})

	t.Run("the time slider shows the earlier instance set", func(t *testing.T) {
		// The first whole second after the seed: every seed event is at or
		// before it, the scale after it.
		at := before.Truncate(time.Second).Add(time.Second).UnixMilli()
		browsertest.Eval[bool](t, tab, fmt.Sprintf(`(() => { const s = document.getElementById("slider");
			s.value = "%d"; s.dispatchEvent(new Event("input")); s.dispatchEvent(new Event("change")); return true })()`, at))
		browsertest.WaitJS(t, tab, "2 instances as of the earlier moment", `window.notReloaded === true &&
			!!document.querySelector("#state .past") &&
			document.querySelectorAll("#instances tbody tr").length === 2 &&
			!document.querySelector('#instances tr[data-instance="web-cccc03"]')`)
		if !strings.Contains(browsertest.Eval[string](t, tab, `location.search`), "at=") {
			t.Fatal("the slider did not put the moment into the address")
		}
		browsertest.Screenshot(t, tab, dir, "app-time-slider")
		browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("#to-live")))
		browsertest.WaitJS(t, tab, "live again with 3 instances", `!document.querySelector("#state .past") &&
			document.querySelectorAll("#instances tbody tr").length === 3`)
	})

	t.Run("an action from the page appends its event", func(t *testing.T) {
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "scale form", `!!document.getElementById("replicas")`)
		browsertest.Eval[bool](t, tab, `(() => { document.getElementById("replicas").value = "1"; return true })()`)
		browsertest.Do(t, tab, chromedp.Submit(chromedp.CSS("#replicas")))
		browsertest.WaitJS(t, tab, "result shown", `!!document.querySelector(".done") && document.querySelector(".done").textContent.includes("dev.berth.app.scaled")`)
		if s, ok := e.lastEvent(t, "web").(events.AppScaled); !ok || s.Replicas != 1 || s.Cause != "manual" {
			t.Fatalf("last event is %#v, want AppScaled to 1", e.lastEvent(t, "web"))
		}
		browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(`button[aria-label="Fail web-aaaa01"]`)))
		browsertest.WaitJS(t, tab, "health-fail result", `!!document.querySelector(".done") && document.querySelector(".done").textContent.includes("instance_health_failed")`)
		if f, ok := e.lastEvent(t, "web").(events.InstanceHealthFailed); !ok || f.Instance != "web-aaaa01" {
			t.Fatalf("last event is %#v, want InstanceHealthFailed of web-aaaa01", e.lastEvent(t, "web"))
		}
	})

	t.Run("a rollout shows live, pauses and rolls back from the page", func(t *testing.T) {
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "release 1 and its rollout", `document.querySelectorAll("#release-list tbody tr").length === 1 &&
			!!document.getElementById("rollout-status")`)
		browsertest.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
		browsertest.Eval[bool](t, tab, `window.notReloaded = true`)
		e.run(t, "web", commands.Deploy{App: "web", Image: "berth-testapp:v2",
			RolloutOptions: commands.RolloutOptions{Strategy: events.StrategyCanary, CanarySteps: []int{10, 50, 100}}}.Decide)
		browsertest.WaitJS(t, tab, "the canary's rollout, same document", `window.notReloaded === true &&
			document.getElementById("rollout-status").textContent.trim() === "progressing" &&
			document.getElementById("rollout-step").textContent.trim() === "canary 10%" &&
			document.querySelectorAll("#release-list tbody tr").length === 2`)
		e.append(t, events.RolloutStepped{App: "web", Release: 2, Step: 1, Weight: 50, KeepOld: -1,
			Reason: "canary judged: error rate 2.0% > max 1.0%",
			Inputs: events.RolloutInputs{Desired: 1, Healthy: 1, Available: 1, OldLive: 1, Requests: 500, Errors: 10, ErrorRate: 0.02, P99MS: 180}})
		browsertest.WaitJS(t, tab, "the step, its inputs against the thresholds, its reason", `window.notReloaded === true &&
			document.getElementById("rollout-step").textContent.trim() === "canary 50%" &&
			document.getElementById("rollout-inputs").textContent.includes("1 / 1 / 1") &&
			document.querySelector("#rollout dd.error").textContent.includes("2.0%") &&
			document.querySelector("#rollout dd.error").textContent.includes("max 1.0%") &&
			[...document.querySelectorAll("#rollout-steps li")].some(li => li.dataset.event === "stepped" && li.textContent.includes("error rate 2.0%"))`)
		browsertest.Screenshot(t, tab, dir, "app-rollout")
		browsertest.ScreenshotOf(t, tab, dir, "app-rollout-panel", "#releases")

		browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("#rollout-pause")))
		browsertest.WaitJS(t, tab, "paused", `!!document.querySelector(".done") && document.querySelector(".done").textContent.includes("rollout_paused") &&
			document.getElementById("rollout-status").textContent.trim() === "paused" && !!document.getElementById("rollout-resume")`)
		if p, ok := e.lastEvent(t, "web").(events.RolloutPaused); !ok || p.Release != 2 {
			t.Fatalf("last event is %#v, want RolloutPaused of release 2", e.lastEvent(t, "web"))
		}
		browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("#rollout-resume")))
		browsertest.WaitJS(t, tab, "resumed", `!!document.querySelector(".done") && document.querySelector(".done").textContent.includes("rollout_resumed") &&
			document.getElementById("rollout-status").textContent.trim() === "progressing" && !!document.getElementById("rollout-pause")`)
		if r, ok := e.lastEvent(t, "web").(events.RolloutResumed); !ok || r.Release != 2 {
			t.Fatalf("last event is %#v, want RolloutResumed of release 2", e.lastEvent(t, "web"))
		}
		browsertest.Do(t, tab, chromedp.Click(chromedp.CSS("#rollout-pause")))
		browsertest.WaitJS(t, tab, "paused again", `document.getElementById("rollout-status").textContent.trim() === "paused"`)

		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/"))
		browsertest.WaitJS(t, tab, "the overview's rollout column", `(() => {
			const b = document.querySelector('tr[data-app="web"] .rollout');
			return !!b && b.textContent.trim() === "canary 50%, paused" })()`)

		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "rollback form", `!!document.getElementById("rollback-to")`)
		browsertest.Do(t, tab, chromedp.SetValue(chromedp.CSS("#rollback-to"), "1"), chromedp.Submit(chromedp.CSS("#rollback-to")))
		browsertest.WaitJS(t, tab, "rolled back", `!!document.querySelector(".done") && document.querySelector(".done").textContent.includes("rollout_rolled_back") &&
			document.getElementById("rollout-status").textContent.trim() === "rolled_back" &&
			document.querySelector('#release-list tr[data-release="1"]').classList.contains("current") &&
			document.getElementById("rollout-inputs").textContent.includes("1 / 1 / 1") &&
			!document.getElementById("rollout-actions")`)
		if rb, ok := e.lastEvent(t, "web").(events.RolloutRolledBack); !ok || rb.Release != 2 || rb.To != 1 {
			t.Fatalf("last event is %#v, want RolloutRolledBack of release 2 to 1", e.lastEvent(t, "web"))
		}
		browsertest.Screenshot(t, tab, dir, "app-rolled-back")
	})

	t.Run("charts draw the gateway's samples", func(t *testing.T) {
		now := time.Now()
		for i := 0; i < 12; i++ {
			e.Dash.Metrics().AddGateway(events.GatewaySample{App: "web", Gateway: "g1", RPS: float64(10 + i), P95MS: 20,
				Time: now.Add(-time.Duration(12-i) * 10 * time.Second)})
		}
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "request chart line", `document.querySelectorAll("#charts polyline").length >= 2`)
		browsertest.Screenshot(t, tab, dir, "app-charts")
	})

	t.Run("hosts page groups by zone and marks a lost host live", func(t *testing.T) {
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/hosts"))
		browsertest.WaitJS(t, tab, "two zones", `document.querySelectorAll(".zone").length === 2`)
		browsertest.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
		e.append(t, events.HostLost{Host: "dh2", LastSeen: time.Now()})
		browsertest.WaitJS(t, tab, "dh2 marked lost", `!!document.querySelector('.host.lost[data-host="dh2"]')`)
		browsertest.Screenshot(t, tab, dir, "hosts")
	})

	t.Run("events page follows the log", func(t *testing.T) {
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+"/events"))
		browsertest.WaitJS(t, tab, "live stream open", `document.getElementById("live-dot").classList.contains("on")`)
		e.run(t, "web", commands.SetDomains{App: "web", Domains: []string{"www.example.test"}}.Decide)
		browsertest.WaitJS(t, tab, "new event listed", `[...document.querySelectorAll("[data-feed] li.new")].some(li => li.textContent.includes("app.domains_set"))`)
		browsertest.Screenshot(t, tab, dir, "events")
	})

	t.Run("readable on a phone in dark mode", func(t *testing.T) {
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
			t.Fatal(err)
		}
		browsertest.Do(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.URL+"/apps/web"))
		browsertest.WaitJS(t, tab, "dark, and no sideways scrolling of the page", `(() => {
			const bg = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
			return bg[0] + bg[1] + bg[2] < 150 && document.documentElement.scrollWidth <= window.innerWidth + 1 })()`)
		browsertest.Screenshot(t, tab, dir, "app-phone-dark")
		browsertest.Do(t, tab, chromedp.ResetViewport())
		if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a one-time sign-in link works once", func(t *testing.T) {
		link := issueLink(t, e)
		signOut(t, tab)
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+link))
		browsertest.WaitJS(t, tab, "signed in on the overview", `location.pathname === "/" && !!document.querySelector('tr[data-app="web"]')`)
		signOut(t, tab)
		browsertest.Do(t, tab, chromedp.Navigate(e.URL+link))
		browsertest.WaitJS(t, tab, "refused the second time", `location.pathname.startsWith("/login") &&
			document.querySelector(".error").textContent.includes("already used")`)
		browsertest.Screenshot(t, tab, dir, "login")
	})
}

// signOut presses the page's sign-out button and checks the pages are
// closed again.
func signOut(t *testing.T, tab context.Context) {
	t.Helper()
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(".signout button")))
	browsertest.WaitJS(t, tab, "signed out", `location.pathname === "/login"`)
	browsertest.Do(t, tab, chromedp.Navigate(strings.TrimSuffix(browsertest.Eval[string](t, tab, "location.origin"), "/")+"/hosts"))
	browsertest.WaitJS(t, tab, "hosts page asks to sign in", `location.pathname === "/login" && location.search.includes("next=%2Fhosts")`)
}

func issueLink(t *testing.T, e *env) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/v1/dashboard/links", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l dashboard.SignInLink
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&l) != nil {
		t.Fatalf("issue link: %s", resp.Status)
	}
	return l.Path
}
