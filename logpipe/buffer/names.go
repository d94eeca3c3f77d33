package buffer

import "strings"

// Durable names. Renaming any of these orphans buffered logs or the
// indexer's position: don't.
const (
	// StreamName is the JetStream stream buffering log records.
	StreamName = "BERTH_LOGS"
	// SubjectPrefix prefixes every log subject: berth.logs.<app>.<instance>.
	SubjectPrefix = "berth.logs"
	// AllSubjects matches every log record.
	AllSubjects = SubjectPrefix + ".>"
	// ConsumerName is the durable pull consumer feeding the indexer.
	ConsumerName = "logpipe-indexer"
)

// Subject is where a record of app and instance is buffered. Parts that are
// empty or not valid subject tokens are made so (see Token).
func Subject(app, instance string) string {
	return SubjectPrefix + "." + Token(app) + "." + Token(instance)
}

// AppFilter matches every record of app.
func AppFilter(app string) string {
	return SubjectPrefix + "." + Token(app) + ".>"
}

// Token makes s one subject token: "_" when empty, and '.', '*', '>',
// spaces and control characters replaced by '_'.
func Token(s string) string {
	if s == "" {
		return "_"
	}
	if strings.IndexFunc(s, badTokenRune) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if badTokenRune(r) {
			return '_'
		}
		return r
	}, s)
}

func badTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f
}
