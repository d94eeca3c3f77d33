package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// Port claims make a host port unique across apps and scheduler copies:
// the handler's optimistic concurrency covers one app only. A claim is the
// key "<host>.<port>" in the berth_ports bucket, its value the instance ID;
// creating a key fails if it exists, so one claimant wins.

// ClaimKV is what the scheduler needs of the berth_ports bucket.
// jetstream.KeyValue is one.
type ClaimKV interface {
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
	WatchAll(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error)
}

// Buckets opens the berth_ports bucket, creating it if missing;
// jetstream.JetStream is one.
type Buckets = events.BucketOpener

// OpenClaims opens the berth_ports bucket, creating it if missing.
func OpenClaims(ctx context.Context, b Buckets) (jetstream.KeyValue, error) {
	return events.OpenBucket(ctx, b, events.BucketPorts)
}

// ClaimKey is the claim key of a host port.
func ClaimKey(host string, port int) string { return host + "." + strconv.Itoa(port) }

func parseClaimKey(key string) (string, int, bool) {
	i := strings.LastIndexByte(key, '.')
	if i <= 0 {
		return "", 0, false
	}
	port, err := strconv.Atoi(key[i+1:])
	if err != nil || port < 1 || port > 65535 {
		return "", 0, false
	}
	return key[:i], port, true
}

// claim is the latest known revision of one key; deleted keys are kept as
// tombstones so that a late watch delivery can't revive them.
type claim struct {
	host     string
	port     int
	instance string
	rev      uint64
	created  time.Time
	live     bool
}

// claims mirrors the bucket: a watch keeps it current, and this process's
// own writes go in at once so its next decision sees them.
type claims struct {
	kv    ClaimKV
	pub   AsyncPublisher // nil: no pipelining
	clock func() time.Time

	mu         sync.RWMutex
	byKey      map[string]*claim
	reserved   map[string]map[int]bool // host -> port -> claimed
	byInstance map[string]string       // instance -> key of its live claim
}

func newClaims(kv ClaimKV, pub AsyncPublisher) *claims {
	return &claims{kv: kv, pub: pub, clock: time.Now, byKey: map[string]*claim{},
		reserved: map[string]map[int]bool{}, byInstance: map[string]string{}}
}

// apply records a revision of key unless a newer one is known.
func (c *claims) apply(key, instance string, rev uint64, created time.Time, live bool) {
	host, port, ok := parseClaimKey(key)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byKey[key]
	if old != nil && old.rev >= rev {
		return
	}
	if old != nil && old.live && c.byInstance[old.instance] == key {
		delete(c.byInstance, old.instance)
	}
	c.byKey[key] = &claim{host: host, port: port, instance: instance, rev: rev, created: created, live: live}
	if c.reserved[host] == nil {
		c.reserved[host] = map[int]bool{}
	}
	c.reserved[host][port] = live
	if live {
		c.byInstance[instance] = key
	}
}

// forget marks revision rev of key deleted, as our own delete did.
func (c *claims) forget(key string, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byKey[key]
	if cl == nil || cl.rev != rev || !cl.live {
		return
	}
	cl.live = false
	c.reserved[cl.host][cl.port] = false
	if c.byInstance[cl.instance] == key {
		delete(c.byInstance, cl.instance)
	}
}

// read runs fn with the claimed ports, host -> port -> claimed; fn must not
// keep or change the map.
func (c *claims) read(fn func(map[string]map[int]bool)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.reserved)
}

// owned returns the key and revision of instance's live claim.
func (c *claims) owned(instance string) (string, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	key, ok := c.byInstance[instance]
	if !ok {
		return "", 0, false
	}
	return key, c.byKey[key].rev, true
}

// live lists every live claim.
func (c *claims) live() map[string]claim {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]claim, len(c.byInstance))
	for key, cl := range c.byKey {
		if cl.live {
			out[key] = *cl
		}
	}
	return out
}

// watch keeps the mirror current until ctx ends, closing loaded once the
// bucket's existing keys are in.
func (c *claims) watch(ctx context.Context, loaded chan<- struct{}) error {
	w, err := c.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", events.BucketPorts, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("watch %s: closed", events.BucketPorts)
			}
			if e == nil {
				if loaded != nil {
					close(loaded)
					loaded = nil
				}
				continue
			}
			c.apply(e.Key(), string(e.Value()), e.Revision(), e.Created(), e.Operation() == jetstream.KeyValuePut)
		}
	}
}

// create claims key for instance; false if someone holds it.
func (c *claims) create(ctx context.Context, key, instance string) (uint64, bool, error) {
	rev, err := c.kv.Create(ctx, key, []byte(instance))
	if casFailed(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("claim %s: %w", key, err)
	}
	c.apply(key, instance, rev, c.clock(), true)
	return rev, true, nil
}

// update hands our claim at revision rev to another instance; false if the
// claim is no longer ours.
func (c *claims) update(ctx context.Context, key, instance string, rev uint64) (uint64, bool, error) {
	nrev, err := c.kv.Update(ctx, key, []byte(instance), rev)
	if casFailed(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reassign claim %s: %w", key, err)
	}
	c.apply(key, instance, nrev, c.clock(), true)
	return nrev, true, nil
}

// release deletes revision rev of key; a claim changed since is left alone.
func (c *claims) release(ctx context.Context, key string, rev uint64) error {
	err := c.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	if casFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release claim %s: %w", key, err)
	}
	c.forget(key, rev)
	return nil
}

// casFailed: the key is not at the revision the write expected.
func casFailed(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}
