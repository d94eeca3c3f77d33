package hostbus

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/events"
)

func TestFactSubjectRoundTrip(t *testing.T) {
	e := events.InstanceStarted{App: "web", Instance: "web-1", Host: "h1"}
	host, subject, ok := ParseFactSubject(FactSubject("h1", e))
	if !ok || host != "h1" || subject != "berth.events.app.web.instance_started" {
		t.Fatalf("ParseFactSubject = %q %q %v", host, subject, ok)
	}
	if got := AssignSubject("h2", "berth.events.host.h2.lost"); got != "berth.assign.h2.host.h2.lost" {
		t.Fatalf("AssignSubject = %q", got)
	}
	for _, bad := range []string{"", "berth.facts", "berth.facts.", "berth.facts.h1", "berth.events.app.web.x"} {
		if _, _, ok := ParseFactSubject(bad); ok {
			t.Errorf("ParseFactSubject(%q) accepted", bad)
		}
	}
}

// The host a fact is attributed to is always the subject's first token
// after the prefix: what the agent's publish permission pins.
func FuzzParseFactSubject(f *testing.F) {
	for _, s := range []string{"berth.facts.h1.app.web.instance_started", "berth.facts..x", "berth.facts.h1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, subject, ok := ParseFactSubject(s)
		if !ok {
			return
		}
		if host == "" || strings.Contains(host, ".") || s != FactPrefix+"."+host+"."+strings.TrimPrefix(subject, events.SubjectPrefix+".") {
			t.Fatalf("ParseFactSubject(%q) = %q, %q", s, host, subject)
		}
	})
}
