package record

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Streams a record can come from. Syslog carries no stream, so intake
// infers it from the severity Docker uses: info for stdout, err for stderr.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// Record is one log line. The JSON form is the wire format on the durable
// buffer and in the API.
type Record struct {
	// ID is unique per line and assigned once at intake, so stores can
	// index idempotently when the buffer redelivers.
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	App      string    `json:"app"`
	Instance string    `json:"instance,omitempty"`
	Host     string    `json:"host,omitempty"`
	Stream   string    `json:"stream,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Message  string    `json:"message"`
	// Raw is the received frame, kept only when parsing failed.
	Raw       string `json:"raw,omitempty"`
	Malformed bool   `json:"malformed,omitempty"`
}

// Size estimates the memory a record holds, for bounding queues.
func (r *Record) Size() int {
	const overhead = 256 // struct, headers and the short fields' usual length
	return overhead + len(r.Message) + len(r.Raw) + len(r.App) + len(r.Instance) + len(r.Host)
}

// Sanitize makes s safe for every store: valid UTF-8 (invalid bytes become
// U+FFFD) and no NUL bytes, which PostgreSQL text rejects.
func Sanitize(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// AppOfInstance derives the app from a Berth instance id "<app>-<6 hex>".
// It runs for every log line, so it checks by hand what the pattern
// ^([a-z][a-z0-9-]*[a-z0-9])-[0-9a-f]{6}$ says.
func AppOfInstance(instance string) (string, bool) {
	n := len(instance)
	if n < 9 || instance[n-7] != '-' {
		return "", false
	}
	for i := n - 6; i < n; i++ {
		if c := instance[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	app := instance[:n-7]
	if app[0] < 'a' || app[0] > 'z' {
		return "", false
	}
	if last := app[len(app)-1]; !(last >= 'a' && last <= 'z' || last >= '0' && last <= '9') {
		return "", false
	}
	for i := 1; i < len(app); i++ {
		if c := app[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", false
		}
	}
	return app, true
}
