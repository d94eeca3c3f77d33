package record

import "strings"

// Severity keywords, as syslog names them (RFC 5424 section 6.2.1, with
// the keywords syslog.conf uses).
const (
	SeverityEmerg   = "emerg"
	SeverityAlert   = "alert"
	SeverityCrit    = "crit"
	SeverityErr     = "err"
	SeverityWarning = "warning"
	SeverityNotice  = "notice"
	SeverityInfo    = "info"
	SeverityDebug   = "debug"
)

var severityNames = [8]string{
	SeverityEmerg, SeverityAlert, SeverityCrit, SeverityErr,
	SeverityWarning, SeverityNotice, SeverityInfo, SeverityDebug,
}

// SeverityName returns the keyword of a syslog severity code 0-7, or ""
// for any other code.
func SeverityName(code int) string {
	if code < 0 || code >= len(severityNames) {
		return ""
	}
	return severityNames[code]
}

var severityAliases = map[string]string{
	"0": SeverityEmerg, "emergency": SeverityEmerg, "panic": SeverityEmerg,
	"1": SeverityAlert,
	"2": SeverityCrit, "critical": SeverityCrit, "fatal": SeverityCrit,
	"3": SeverityErr, "error": SeverityErr,
	"4": SeverityWarning, "warn": SeverityWarning,
	"5": SeverityNotice,
	"6": SeverityInfo, "informational": SeverityInfo, "information": SeverityInfo,
	"7": SeverityDebug, "trace": SeverityDebug,
}

// NormalizeSeverity maps a severity code, keyword or common alias, in any
// case, to its keyword; ok is false when s is not recognised.
func NormalizeSeverity(s string) (name string, ok bool) {
	for _, n := range severityNames {
		if s == n {
			return n, true // the usual case: intake already named it
		}
	}
	s = strings.ToLower(strings.TrimSpace(s))
	for _, n := range severityNames {
		if s == n {
			return n, true
		}
	}
	name, ok = severityAliases[s]
	return name, ok
}
