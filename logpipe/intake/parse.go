package intake

import (
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/berth-dev/berth/logpipe/record"
)

// Parser turns one syslog frame into a record. It detects RFC 5424 and
// RFC 3164 per message and never fails: what it cannot parse becomes a
// Malformed record keeping the frame as Raw. Not safe for concurrent use.
type Parser struct {
	m   syslog.Machine
	loc *time.Location
	ids *record.IDs
	// The last tag and what it split into: a connection carries one
	// container's lines, so the tag repeats.
	tag, app, instance string
}

// NewParser returns a parser reading RFC 3164 timestamps, which carry no
// zone, in loc (nil means the local zone: Docker writes its local time).
func NewParser(loc *time.Location) *Parser {
	if loc == nil {
		loc = time.Local
	}
	return &Parser{
		loc: loc,
		ids: record.NewIDs(),
		m: auto.NewMachine(
			auto.WithRFC5424Options(rfc5424.WithBestEffort()),
			auto.WithRFC3164Options(rfc3164.WithBestEffort(), rfc3164.WithRFC3339(),
				rfc3164.WithLocaleTimezone(loc), rfc3164.WithLenientDay()),
		),
	}
}

// header is what a record takes from a parsed message, whichever parser
// read it. Empty strings and a zero time mean absent.
type header struct {
	time               time.Time
	severity           int // -1 when absent
	host, tag, message string
}

// Parse parses frame, received at received. The record gets a new ID; IDs
// of one parser sort in the order it parsed. The caller owns frame, which
// Parse does not keep.
func (p *Parser) Parse(frame []byte, received time.Time) record.Record {
	frame = trimEnd(frame)
	r := record.Record{ID: p.ids.Next(received), Time: received.Round(0), Stream: record.StreamStdout}
	msg, err := p.m.Parse(frame)
	if err != nil {
		if h, ok := salvage5424(string(frame)); ok {
			fillSalvaged(&r, h)
			return r
		}
	}
	base := baseOf(msg)
	if base == nil || err != nil || !msg.Valid() {
		r.Malformed = true
		r.Raw = record.Sanitize(string(frame))
	}
	if base != nil {
		p.fill(&r, headerOf(base), received)
	}
	if r.Malformed && r.Message == "" {
		r.Message = r.Raw
	}
	return r
}

// trimEnd drops trailing CR, LF and NUL bytes, as bytes.TrimRight(frame,
// "\r\n\x00") does, without building a cutset per line.
func trimEnd(frame []byte) []byte {
	n := len(frame)
	for n > 0 && (frame[n-1] == '\n' || frame[n-1] == '\r' || frame[n-1] == 0) {
		n--
	}
	return frame[:n]
}

func baseOf(msg syslog.Message) *syslog.Base {
	switch m := msg.(type) {
	case *rfc5424.SyslogMessage:
		return &m.Base
	case *rfc3164.SyslogMessage:
		return &m.Base
	}
	return nil
}

// headerOf takes go-syslog's fields; the tag is APP-NAME, else MSGID.
func headerOf(b *syslog.Base) header {
	h := header{severity: -1}
	if b.Timestamp != nil {
		h.time = *b.Timestamp
	}
	if b.Severity != nil {
		h.severity = int(*b.Severity)
	}
	if b.Hostname != nil {
		h.host = *b.Hostname
	}
	if b.Appname != nil {
		h.tag = *b.Appname
	} else if b.MsgID != nil {
		h.tag = *b.MsgID
	}
	if b.Message != nil {
		h.message = *b.Message
	}
	return h
}

func (p *Parser) fill(r *record.Record, h header, received time.Time) {
	if !h.time.IsZero() {
		r.Time = p.fixYear(h.time, received)
	}
	if h.severity >= 0 {
		setSeverity(r, h.severity)
	}
	r.Host = record.Sanitize(h.host)
	if h.tag != p.tag {
		app, inst := ParseTag(h.tag)
		p.tag, p.app, p.instance = h.tag, record.Sanitize(app), record.Sanitize(inst)
	}
	r.App, r.Instance = p.app, p.instance
	r.Message = record.Sanitize(h.message)
}

// fixYear gives an RFC 3164 timestamp, which has no year (the parser
// leaves year 0), the year that puts it nearest before received.
func (p *Parser) fixYear(t, received time.Time) time.Time {
	if t.Year() != 0 {
		return t
	}
	received = received.In(p.loc)
	t = time.Date(received.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), p.loc)
	if t.After(received.Add(24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t
}

func fillSalvaged(r *record.Record, h header5424) {
	if !h.time.IsZero() {
		r.Time = h.time
	}
	setSeverity(r, h.priority%8)
	r.Host = record.Sanitize(h.host)
	tag := h.app
	if tag == "" {
		tag = h.msgID
	}
	app, inst := ParseTag(tag)
	r.App, r.Instance = record.Sanitize(app), record.Sanitize(inst)
	r.Message = record.Sanitize(h.message)
}

// setSeverity records the severity and the stream it implies: Docker logs
// stdout at info and stderr at err; anything at err or worse counts as stderr.
func setSeverity(r *record.Record, code int) {
	r.Severity = record.SeverityName(code)
	if code <= 3 {
		r.Stream = record.StreamStderr
	} else {
		r.Stream = record.StreamStdout
	}
}
