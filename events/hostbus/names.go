package hostbus

import (
	"strings"

	"github.com/berth-dev/berth/events"
)

// Durable names. Renaming any of these orphans data or consumers: don't.
const (
	// AssignStream holds, per host, a copy of the events about that host
	// and its instances: berth.assign.<host>.<app|host>.<id>.<kind>.
	AssignStream = "BERTH_ASSIGNMENTS"
	// AssignPrefix prefixes every assignment subject.
	AssignPrefix = "berth.assign"

	// FactStream holds the facts agents claim, until the intake has
	// checked and appended (or rejected) them:
	// berth.facts.<host>.<app|host>.<id>.<kind>.
	FactStream = "BERTH_FACTS"
	// FactPrefix prefixes every fact subject.
	FactPrefix = "berth.facts"

	// IntakeConsumer is the durable consumer the fact intake shares
	// between the servers running it.
	IntakeConsumer = "berth-facts-intake"

	// SourceSeqHeader on an assignment is the BERTH_EVENTS sequence of the
	// event it copies; the assigner resumes after the last one.
	SourceSeqHeader = "Berth-Source-Seq"
)

// AssignFilter matches every assignment of host.
func AssignFilter(host string) string { return AssignPrefix + "." + host + ".>" }

// FactFilter matches every fact host's agent may claim.
func FactFilter(host string) string { return FactPrefix + "." + host + ".>" }

// AssignSubject is where the copy for host of the event on the public
// subject berth.events.<kind>.<id>.<event> goes.
func AssignSubject(host, eventSubject string) string {
	return AssignPrefix + "." + host + "." + strings.TrimPrefix(eventSubject, events.SubjectPrefix+".")
}

// FactSubject is where host's agent claims event e.
func FactSubject(host string, e events.Event) string {
	return FactPrefix + "." + host + "." + strings.TrimPrefix(e.Aggregate().Subject(e.Kind()), events.SubjectPrefix+".")
}

// ParseFactSubject returns the claiming host and the public event subject
// the claim is for.
func ParseFactSubject(subject string) (host, eventSubject string, ok bool) {
	rest, ok := strings.CutPrefix(subject, FactPrefix+".")
	if !ok {
		return "", "", false
	}
	host, rest, ok = strings.Cut(rest, ".")
	if !ok || host == "" {
		return "", "", false
	}
	return host, events.SubjectPrefix + "." + rest, true
}
