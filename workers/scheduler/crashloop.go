package scheduler

import (
	"sync"
	"time"
)

// crashLoop backs off replacing an app's instances that keep failing (an
// image that exits at once, a health path that 404s): replacing them as
// fast as they die would only churn containers and fill the log. The
// first failure is replaced at once; each further failure before an
// instance of the app becomes healthy doubles the wait, up to maxBackoff.
type crashLoop struct {
	mu       sync.Mutex
	failures map[string]int
	until    map[string]time.Time
}

const (
	firstBackoff = time.Second
	maxBackoff   = time.Minute
)

func newCrashLoop() *crashLoop {
	return &crashLoop{failures: map[string]int{}, until: map[string]time.Time{}}
}

// failed records an instance failure of app at now.
func (c *crashLoop) failed(app string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures[app]++
	if n := c.failures[app]; n > 1 {
		d := firstBackoff << min(n-2, 10)
		c.until[app] = now.Add(min(d, maxBackoff))
	}
}

// healthy resets the backoff: the app can run.
func (c *crashLoop) healthy(app string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.failures, app)
	delete(c.until, app)
}

// wait is how long app must still wait before its next reconcile.
func (c *crashLoop) wait(app string, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.until[app]; ok && u.After(now) {
		return u.Sub(now)
	}
	return 0
}
