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

// appendTime appends t as encoding/json does (RFC 3339 with nanoseconds,
// trailing zeros of the fraction dropped), formatting the common UTC case by
// hand: time.AppendFormat interprets its layout on every call.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	if t.Location() != time.UTC {
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = append2(append2(b, year/100), year%100)
	b = append2(append(b, '-'), int(month))
	b = append2(append(b, '-'), day)
	b = append2(append(b, 'T'), hour)
	b = append2(append(b, ':'), minute)
	b = append2(append(b, ':'), sec)
	if ns := uint32(t.Nanosecond()); ns != 0 {
		var d [10]byte
		d[0] = '.'
		for i := 8; i > 0; i -= 2 {
			q := ns / 100
			r := (ns - q*100) * 2
			d[i], d[i+1] = pairs[r], pairs[r+1]
			ns = q
		}
		d[1] = byte('0' + ns)
		n := len(d)
		for d[n-1] == '0' {
			n--
		}
		b = append(b, d[:n]...)
	}
	return append(b, 'Z', '"')
}

// pairs holds "00" to "99", two bytes each.
const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// append2 appends 0 <= n < 100 as two digits.
func append2(b []byte, n int) []byte {
	return append(b, pairs[2*n], pairs[2*n+1])
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight plain bytes at a time: most log text needs no escape.
		for i+8 <= len(s) {
			w := s[i : i+8]
			if !plain8(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56) {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
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

// plain8 reports whether none of the 8 bytes in w (little-endian) needs
// escaping: each is printable ASCII other than '"' and '\\'. It tests them
// at once: (x - ones) &^ x has a byte's high bit set where x's byte is zero,
// (w - 0x20 ones) &^ w where w's byte is below 0x20, and w itself where it
// is 0x80 or above.
func plain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := w^(ones*'"'), w^(ones*'\\')
	return ((w-ones*0x20)&^w|(q-ones)&^q|(bs-ones)&^bs|w)&highs == 0
}
