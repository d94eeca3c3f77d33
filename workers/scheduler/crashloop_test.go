package scheduler

import (
	"testing"
	"time"
)

func TestCrashLoopBacksOffUntilHealthy(t *testing.T) {
	c := newCrashLoop()
	now := time.Unix(1000, 0)
	c.failed("web", now)
	if w := c.wait("web", now); w != 0 {
		t.Fatalf("first failure waits %s, want an immediate replacement", w)
	}
	var waits []time.Duration
	for i := 0; i < 10; i++ {
		c.failed("web", now)
		waits = append(waits, c.wait("web", now))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60, 60}
	for i, w := range waits {
		if w != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", waits, want)
		}
	}
	if w := c.wait("api", now); w != 0 {
		t.Fatalf("another app waits %s", w)
	}
	if w := c.wait("web", now.Add(61*time.Second)); w != 0 {
		t.Fatalf("after the backoff it still waits %s", w)
	}
	c.healthy("web")
	c.failed("web", now)
	if w := c.wait("web", now); w != 0 {
		t.Fatalf("after becoming healthy the next failure waits %s", w)
	}
}
