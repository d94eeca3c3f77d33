package intake

import "time"

// fast5424 reads the one shape of frame Docker's syslog driver sends with
// syslog-format rfc5424 or rfc5424micro,
//
//	<PRI>1 YYYY-MM-DDThh:mm:ss[.ffffff]Z HOST APP PROCID MSGID - MSG
//
// without go-syslog's cost per line (a message object, a pointer and a
// string per field, time.Parse), which was a third of intake's CPU. It is
// not a second parser: it declines every frame that is not exactly this
// shape, and on those it accepts it yields what go-syslog's strict RFC 5424
// parser yields (FuzzFast5424AgreesWithGoSyslog checks both). Structured
// data, numeric zone offsets, RFC 3164 and anything malformed go to
// go-syslog. Not safe for concurrent use.
type fast5424 struct {
	// The last HOSTNAME and tag, reused while they repeat (one connection
	// is one container) so only the message is a new string.
	host, tag string
}

// RFC 5424 field bounds (section 6), as go-syslog checks them.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
)

// parse returns the frame's header, or false to leave it to go-syslog.
func (f *fast5424) parse(b []byte) (h header, ok bool) {
	pri, i, ok := parsePRI(b)
	if !ok || len(b) < i+2 || b[i] != '1' || b[i+1] != ' ' {
		return h, false
	}
	i += 2
	t, n, ok := parseTimestampZ(b[i:])
	if !ok || len(b) <= i+n || b[i+n] != ' ' {
		return h, false
	}
	i += n + 1
	var fields [4][]byte
	for k, limit := range [4]int{maxHostname, maxAppName, maxProcID, maxMsgID} {
		if fields[k], i, ok = token(b, i, limit); !ok {
			return h, false
		}
	}
	// STRUCTURED-DATA must be NILVALUE, then the end or SP MSG.
	if i >= len(b) || b[i] != '-' {
		return h, false
	}
	i++
	if i < len(b) {
		if b[i] != ' ' {
			return h, false
		}
		h.message = string(b[i+1:])
	}
	h.time, h.severity = t, pri%8
	if host := fields[0]; !isNil(host) {
		if string(host) != f.host {
			f.host = string(host)
		}
		h.host = f.host
	}
	tag := fields[1] // APP-NAME, else MSGID
	if isNil(tag) {
		tag = fields[3]
	}
	if !isNil(tag) {
		if string(tag) != f.tag {
			f.tag = string(tag)
		}
		h.tag = f.tag
	}
	return h, true
}

// isNil reports RFC 5424's NILVALUE, which go-syslog leaves out.
func isNil(field []byte) bool { return len(field) == 1 && field[0] == '-' }

// parsePRI reads "<PRIVAL>" at the start of b: 0 to 191 without leading
// zeros. i is the index after '>'.
func parsePRI(b []byte) (pri, i int, ok bool) {
	if len(b) < 3 || b[0] != '<' {
		return 0, 0, false
	}
	for i = 1; i < len(b) && i <= 4 && isDigit(b[i]); i++ {
		pri = pri*10 + int(b[i]-'0')
	}
	digits := i - 1
	if digits == 0 || digits > 3 || (digits > 1 && b[1] == '0') || pri > 191 || i >= len(b) || b[i] != '>' {
		return 0, 0, false
	}
	return pri, i + 1, true
}

// token reads a header field of 1 to limit printable ASCII bytes and the
// SP after it; next is the index after the SP.
func token(b []byte, i, limit int) (field []byte, next int, ok bool) {
	start := i
	for i < len(b) && b[i] != ' ' {
		if b[i] < 33 || b[i] > 126 || i-start >= limit {
			return nil, 0, false
		}
		i++
	}
	if i == start || i >= len(b) {
		return nil, 0, false
	}
	return b[start:i], i + 1, true
}

// parseTimestampZ reads a UTC RFC 3339 timestamp with 0 to 6 fractional
// digits, as go-syslog's grammar and time.Parse accept it, and returns its
// length. A numeric offset is declined: time.Parse gives such times the
// Local location when the offset matches it, which is go-syslog's to do.
func parseTimestampZ(b []byte) (t time.Time, n int, ok bool) {
	// YYYY-MM-DDThh:mm:ss
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return t, 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return t, 0, false
	}
	n = 19
	nsec := 0
	if b[n] == '.' {
		n++
		start := n
		for n < len(b) && isDigit(b[n]) && n-start < 6 {
			nsec = nsec*10 + int(b[n]-'0')
			n++
		}
		if n == start {
			return t, 0, false
		}
		for k := n - start; k < 9; k++ {
			nsec *= 10
		}
	}
	if n >= len(b) || b[n] != 'Z' {
		return t, 0, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), n + 1, true
}

func digits(b []byte) (n int, ok bool) {
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
