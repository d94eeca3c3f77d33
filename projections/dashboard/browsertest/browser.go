package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/berth-dev/berth/events/natstest"
)

// Start starts chromium headless at 1280×800 (as root it needs
// --no-sandbox) and returns a tab. A missing chromium fails the test,
// never skips it: make deps installs it.
func Start(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (make deps installs Debian's chromium): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ShotsDir is a new directory for screenshots, kept after the test so
// people can look at them.
func ShotsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "berth-dashboard-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves the whole page as dir/name.png and prints the path.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	save(t, ctx, dir, name, chromedp.FullScreenshot(100))
}

// ScreenshotOf saves the element css selects as dir/name.png.
func ScreenshotOf(t testing.TB, ctx context.Context, dir, name, css string) {
	t.Helper()
	save(t, ctx, dir, name, chromedp.Screenshot(chromedp.CSS(css)))
}

func save(t testing.TB, ctx context.Context, dir, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		// A screenshot is a picture for people, not an assertion: an
		// element re-rendered by a live update at that instant (0 width)
		// must not fail the test.
		t.Logf("screenshot %s not taken: %v", name, err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Println("screenshot:", path)
	t.Logf("screenshot: %s", path)
}

// Do runs browser steps, failing the test on an error.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// Eval evaluates a JavaScript expression in the page.
func Eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	return out
}

// WaitJS polls a JavaScript condition in the page for up to 15 seconds.
func WaitJS(t testing.TB, ctx context.Context, what, js string) {
	t.Helper()
	WaitJSWithin(t, ctx, 15*time.Second, what, js)
}

// WaitJSWithin polls a JavaScript condition in the page for up to within.
func WaitJSWithin(t testing.TB, ctx context.Context, within time.Duration, what, js string) {
	t.Helper()
	natstest.Poll(t, within, 50*time.Millisecond, what, func() bool {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js))
		return err == nil && ok
	})
}
