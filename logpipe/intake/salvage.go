package intake

import (
	"strconv"
	"strings"
	"time"
)

// header5424 holds the RFC 5424 fields salvage recovers.
type header5424 struct {
	priority                 int
	time                     time.Time
	host, app, procID, msgID string
	message                  string
}

// salvage5424 splits an RFC 5424 message whose only fault is a field
// longer than the RFC allows. Docker repeats the tag as APP-NAME (max 48)
// and MSGID (max 32), so "<app>/<instance>" of a long app name breaks the
// strict parser although the line is otherwise well formed.
func salvage5424(frame string) (h header5424, ok bool) {
	rest, ok := strings.CutPrefix(frame, "<")
	if !ok {
		return h, false
	}
	pri, rest, ok := strings.Cut(rest, ">")
	if !ok || len(pri) == 0 || len(pri) > 3 {
		return h, false
	}
	p, err := strconv.Atoi(pri)
	if err != nil || p < 0 || p > 191 {
		return h, false
	}
	h.priority = p
	if rest, ok = strings.CutPrefix(rest, "1 "); !ok {
		return h, false
	}
	var fields [5]string
	for i := range fields {
		fields[i], rest, ok = strings.Cut(rest, " ")
		if !ok || fields[i] == "" || len(fields[i]) > 255 {
			return h, false
		}
	}
	if fields[0] != "-" {
		if h.time, err = time.Parse(time.RFC3339Nano, fields[0]); err != nil {
			return h, false
		}
	}
	h.host, h.app, h.procID, h.msgID = nilValue(fields[1]), nilValue(fields[2]), nilValue(fields[3]), nilValue(fields[4])
	if rest, ok = skipStructuredData(rest); !ok {
		return h, false
	}
	if rest != "" {
		if rest[0] != ' ' {
			return h, false
		}
		rest = rest[1:]
	}
	h.message = rest
	return h, true
}

func nilValue(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// skipStructuredData drops the STRUCTURED-DATA field: "-" or one or more
// [id param="value"] elements, where values may escape '"', '\' and ']'.
func skipStructuredData(s string) (string, bool) {
	if strings.HasPrefix(s, "-") {
		return s[1:], true
	}
	if !strings.HasPrefix(s, "[") {
		return s, false
	}
	for strings.HasPrefix(s, "[") {
		i, quoted := 1, false
		for ; i < len(s); i++ {
			c := s[i]
			if quoted && c == '\\' {
				i++
				continue
			}
			if c == '"' {
				quoted = !quoted
			}
			if c == ']' && !quoted {
				break
			}
		}
		if i >= len(s) {
			return s, false
		}
		s = s[i+1:]
	}
	return s, true
}
