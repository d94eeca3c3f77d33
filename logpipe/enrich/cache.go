package enrich

import "sync"

// InstanceInfo is what the platform knows about an instance.
type InstanceInfo struct {
	App  string
	Host string
}

// Cache is an in-memory instance directory. Callers keep it current from
// the platform's events (Set on start or placement, Delete on stop); it is
// safe for concurrent use.
type Cache struct {
	mu sync.RWMutex
	m  map[string]InstanceInfo
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: make(map[string]InstanceInfo)} }

// Set records what is known about instance.
func (c *Cache) Set(instance string, info InstanceInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[instance] = info
}

// Delete forgets instance.
func (c *Cache) Delete(instance string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, instance)
}

// Lookup returns what is known about instance.
func (c *Cache) Lookup(instance string) (InstanceInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	info, ok := c.m[instance]
	return info, ok
}

// Len returns how many instances are known.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
