package health

import (
	"testing"
	"time"
)

func TestTrackerDecisions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func(sec int) Observation {
		return Observation{Result: Result{OK: true}, Now: t0.Add(time.Duration(sec) * time.Second)}
	}
	bad := func(sec int, detail string) Observation {
		return Observation{Result: Result{Detail: detail}, Now: t0.Add(time.Duration(sec) * time.Second)}
	}
	reg := func(o Observation) Observation { o.Registered = true; return o }
	notFound := func(sec int) Observation {
		return Observation{Result: Result{Detail: "404", Misconfigured: true}, Now: t0.Add(time.Duration(sec) * time.Second)}
	}
	type step struct {
		obs    Observation
		act    Action
		reason string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"first pass registers", []step{{ok(1), Register, ""}}},
		{"pass while registered is quiet", []step{{reg(ok(1)), None, ""}}},
		{"failures while starting wait for the deadline", []step{
			{bad(1, "connection refused"), None, ""},
			{bad(2, "connection refused"), None, ""},
			{bad(3, "connection refused"), None, ""},
			{bad(4, "503"), None, ""},
			{ok(5), Register, ""},
		}},
		{"a health path that 404s fails at the threshold, not the deadline", []step{
			{bad(1, "connection refused"), None, ""},
			{notFound(2), None, ""},
			{notFound(3), None, ""},
			{notFound(4), Fail, "3 consecutive failed checks before ever passing: GET /_ping: 404"},
		}},
		{"a refused connection between 404s restarts the count", []step{
			{notFound(1), None, ""},
			{notFound(2), None, ""},
			{bad(3, "connection refused"), None, ""},
			{notFound(4), None, ""},
			{ok(5), Register, ""},
		}},
		{"never healthy by the deadline fails once", []step{
			{bad(30, "503"), None, ""},
			{bad(60, "503"), Fail, "never passed a health check within 1m0s: GET /_ping: 503"},
			{bad(61, "503"), None, ""},
		}},
		{"threshold consecutive failures after a pass", []step{
			{ok(1), Register, ""},
			{reg(bad(2, "404")), None, ""},
			{reg(bad(3, "404")), None, ""},
			{reg(bad(4, "404")), Fail, "3 consecutive failed checks: GET /_ping: 404"},
			{reg(bad(5, "404")), None, ""},
		}},
		{"a pass resets the count", []step{
			{reg(bad(1, "500")), None, ""},
			{reg(bad(2, "500")), None, ""},
			{reg(ok(3)), None, ""},
			{reg(bad(4, "500")), None, ""},
			{reg(bad(5, "500")), None, ""},
			{reg(bad(6, "timed out")), Fail, "3 consecutive failed checks: GET /_ping: timed out"},
		}},
		{"registered by another worker counts as passed", []step{
			{reg(bad(1, "500")), None, ""},
			{reg(bad(2, "500")), None, ""},
			{reg(bad(3, "500")), Fail, "3 consecutive failed checks: GET /_ping: 500"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &Tracker{Check: "GET /_ping", Threshold: 3, Deadline: t0.Add(time.Minute), StartWindow: time.Minute}
			for i, s := range c.steps {
				act, reason := tr.Observe(s.obs)
				if act != s.act || reason != s.reason {
					t.Fatalf("step %d: got (%v, %q), want (%v, %q)", i, act, reason, s.act, s.reason)
				}
			}
		})
	}
}

func TestTrackerRetryDecidesAgain(t *testing.T) {
	tr := &Tracker{Check: "GET /", Threshold: 1, Deadline: time.Unix(0, 0)}
	now := time.Unix(100, 0)
	if act, _ := tr.Observe(Observation{Result: Result{Detail: "500"}, Registered: true, Now: now}); act != Fail {
		t.Fatalf("got %v, want Fail", act)
	}
	tr.Retry()
	if act, _ := tr.Observe(Observation{Result: Result{Detail: "500"}, Registered: true, Now: now}); act != Fail {
		t.Fatalf("after Retry got %v, want Fail again", act)
	}
}
