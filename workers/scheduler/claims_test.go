package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClaimsMirrorKeepsTheLatestRevision(t *testing.T) {
	c := newClaims(nil, nil)
	now := time.Now()
	c.apply("h1.20000", "web-aaaaaa", 5, now, true)
	reserved := func() map[int]bool {
		var out map[int]bool
		c.read(func(r map[string]map[int]bool) { out = r["h1"] })
		return out
	}
	if !reserved()[20000] {
		t.Fatal("a claim is not reserved")
	}
	// Released by us: a late watch delivery of the claim must not revive it.
	c.forget("h1.20000", 5)
	c.apply("h1.20000", "web-aaaaaa", 5, now, true)
	if reserved()[20000] {
		t.Fatal("a released claim came back from a late delivery")
	}
	if _, _, ok := c.owned("web-aaaaaa"); ok {
		t.Fatal("a released claim is still owned")
	}
	// Claimed again by someone else later.
	c.apply("h1.20000", "api-bbbbbb", 9, now, true)
	if key, rev, ok := c.owned("api-bbbbbb"); !ok || key != "h1.20000" || rev != 9 {
		t.Fatalf("owned = %q %d %v", key, rev, ok)
	}
	if rev, held := c.lastRevision("h1.20000"); rev != 9 || !held {
		t.Fatalf("lastRevision = %d %v", rev, held)
	}
	// Our stale revision can't release it.
	c.forget("h1.20000", 5)
	if !reserved()[20000] {
		t.Fatal("a stale release dropped a newer claim")
	}
	// Keys that are not <host>.<port> are ignored.
	c.apply("garbage", "x", 10, now, true)
	c.apply("h1.99999", "x", 11, now, true)
	if n := len(c.live()); n != 1 {
		t.Fatalf("%d live claims, want 1", n)
	}
}

func TestParseClaimKey(t *testing.T) {
	host, port, ok := parseClaimKey(ClaimKey("node-1.rack-2", 20001))
	if !ok || host != "node-1.rack-2" || port != 20001 {
		t.Fatalf("parse = %q %d %v", host, port, ok)
	}
	for _, bad := range []string{"", ".20000", "h1.", "h1.x", "h1.0", "h1.70000"} {
		if _, _, ok := parseClaimKey(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	err := Config{Resync: -1, ClaimGrace: -1, MaxEvents: 1001, ClaimConcurrency: -1, RetryAfter: -1}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"resync", "claim grace", "max events", "claim concurrency", "retry after"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	cfg := Config{}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	if _, err := New(Config{MaxEvents: 1}, nil, nil, nil); err == nil || errors.Unwrap(err) == nil {
		t.Errorf("New with a bad config = %v", err)
	}
}
