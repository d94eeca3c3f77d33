package intake

import (
	"strings"

	"github.com/berth-dev/berth/logpipe/record"
)

// ParseTag splits a syslog tag (RFC 5424 APP-NAME, RFC 3164 TAG) into app
// and instance. The agent sets Docker's tag to "<app>/<instance>"; a bare
// instance id "<app>-<6 hex>" also works; anything else is taken as the app.
func ParseTag(tag string) (app, instance string) {
	if a, i, ok := strings.Cut(tag, "/"); ok {
		return a, i
	}
	if a, ok := record.AppOfInstance(tag); ok {
		return a, tag
	}
	return tag, ""
}
