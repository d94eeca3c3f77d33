package bench

import (
	"fmt"
	"strconv"
	"time"
)

// App is the app every generated instance belongs to.
const App = "web"

// InstanceID is the i-th instance id the generator logs as: "web-<6 hex>",
// spread over the hex range so the ids look like Berth's.
func InstanceID(i int) string {
	return fmt.Sprintf("%s-%06x", App, (uint32(i)*0x9e3779b1)>>8)
}

// TimeLayout is Docker's rfc5424micro timestamp.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// procID stands for dockerd's pid, which Docker writes as PROCID.
const procID = "4711"

// AppendLine appends one newline-terminated frame as Docker's syslog driver
// sends it over plain TCP with syslog-format=rfc5424micro and the tag set to
// the instance id: APP-NAME and MSGID are the tag, PRI 30 is daemon.info
// (stdout). The message is about 100 bytes and carries seq.
func AppendLine(b []byte, ts, hostname, instance string, seq int) []byte {
	b = append(b, "<30>1 "...)
	b = append(b, ts...)
	b = append(b, ' ')
	b = append(b, hostname...)
	b = append(b, ' ')
	b = append(b, instance...)
	b = append(b, " "+procID+" "...)
	b = append(b, instance...)
	b = append(b, " - seq="...)
	b = appendPadded(b, seq, 9)
	b = append(b, ` GET /api/v1/items?page=7 200 1532B 12.345ms remote=127.0.0.1 ua="Mozilla/5.0 (X11; Linux)"`...)
	return append(b, '\n')
}

// formatTime formats t as Docker does, in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

func appendPadded(b []byte, n, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}
