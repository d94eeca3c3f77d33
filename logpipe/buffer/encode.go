package buffer

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/berth-dev/berth/logpipe/record"
)

// appendRecord appends r's JSON form, as encoding/json writes it without
// HTML escaping, to b. It avoids reflection on intake's hot path.
func appendRecord(b []byte, r *record.Record) ([]byte, error) {
	if y := r.Time.Year(); y < 0 || y > 9999 {
		return b, fmt.Errorf("time %v: year outside 0..9999", r.Time)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"time":`...)
	b = appendTime(b, r.Time)
	b = append(b, `,"app":`...)
	b = appendString(b, r.App)
	b = appendField(b, `,"instance":`, r.Instance)
	b = appendField(b, `,"host":`, r.Host)
	b = appendField(b, `,"stream":`, r.Stream)
	b = appendField(b, `,"severity":`, r.Severity)
	b = append(b, `,"message":`...)
	b = appendString(b, r.Message)
	b = appendField(b, `,"raw":`, r.Raw)
	if r.Malformed {
		b = append(b, `,"malformed":true`...)
	}
	return append(b, '}'), nil
}

// appendField appends key and s unless s is empty (omitempty).
func appendField(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = strconv.AppendInt(b, int64(r&0xf), 16)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
