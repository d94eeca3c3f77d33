package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// HeaderRelease pins a request to one release of its app, whatever the
// release's weight: for A/B tests, and for trying a canary before it gets
// traffic.
const HeaderRelease = "X-Berth-Release"

// errBadPin is a malformed HeaderRelease value: 400.
type errBadPin struct{ value string }

func (e errBadPin) Error() string {
	return fmt.Sprintf("header %s: %q is not a release number (a positive integer)", HeaderRelease, e.value)
}

// errNoRelease is a pin to a release without endpoints: 503.
type errNoRelease struct {
	app     string
	release int
}

func (e errNoRelease) Error() string {
	return fmt.Sprintf("header %s: release %d of app %q has no healthy instance", HeaderRelease, e.release, e.app)
}

// pinOf reads the release a request is pinned to, 0 when it is not.
// Allocation-free unless the value is malformed.
func pinOf(h http.Header) (int, error) {
	v, ok := h[HeaderRelease]
	if !ok {
		return 0, nil
	}
	if len(v) != 1 {
		return 0, errBadPin{value: strings.Join(v, ", ")}
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[0]))
	if err != nil || n <= 0 {
		return 0, errBadPin{value: v[0]}
	}
	return n, nil
}
