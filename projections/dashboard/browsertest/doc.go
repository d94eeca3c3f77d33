// Package browsertest drives Debian's chromium headless from Go tests (chromedp), for the dashboard's tests.
package browsertest
