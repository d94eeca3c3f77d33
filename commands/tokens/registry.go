package tokens

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/berth-dev/berth/commands/authz"
	"github.com/berth-dev/berth/events"
)

// Filter matches every token event.
var Filter = events.SubjectPrefix + "." + string(events.KindToken) + ".>"

// BootstrapName is the accessor of the server's --api-token ($BERTH_TOKEN).
const BootstrapName = "bootstrap"

// Principal is who a request acts as.
type Principal struct {
	Name     string
	Role     authz.Role
	Projects []string // empty: every project
}

// Grant is a token as the log has it, without its secret.
type Grant struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Projects  []string   `json:"projects,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Revoked   bool       `json:"revoked"`
	hash      string
}

// Active says whether the grant works at now.
func (g Grant) Active(now time.Time) bool {
	return !g.Revoked && (g.ExpiresAt == nil || now.Before(*g.ExpiresAt))
}

// Fold applies one token event to grants (by name).
func Fold(grants map[string]Grant, e events.Event) {
	switch e := e.(type) {
	case events.TokenGranted:
		g := Grant{Name: e.Name, Role: e.Role, Projects: e.Projects, hash: e.SecretHash}
		if !e.ExpiresAt.IsZero() {
			t := e.ExpiresAt
			g.ExpiresAt = &t
		}
		grants[e.Name] = g
	case events.TokenRevoked:
		if g, ok := grants[e.Name]; ok {
			g.Revoked = true
			grants[e.Name] = g
		}
	}
}

// ErrUnauthenticated: no token, or one that does not work (401).
var ErrUnauthenticated = errors.New("unauthenticated")

// Registry is every server's live view of the token grants, folded from
// the log: a revocation reaches it as fast as the event does.
type Registry struct {
	bootstrap string // hash of the bootstrap token, "" for none
	now       func() time.Time

	mu       sync.RWMutex
	grants   map[string]Grant
	apps     map[string]string // app -> project
	seq      uint64            // the last token event folded
	changed  chan struct{}     // closed and replaced at every fold
	caughtUp chan struct{}
	once     sync.Once
}

// NewRegistry returns a registry honouring bootstrap (the server's
// --api-token) as an admin named BootstrapName. Without one, Open is true.
func NewRegistry(bootstrap string) *Registry {
	r := &Registry{now: time.Now, grants: map[string]Grant{}, apps: map[string]string{}, caughtUp: make(chan struct{}), changed: make(chan struct{})}
	if bootstrap != "" {
		r.bootstrap = Hash(bootstrap)
	}
	return r
}

// Open says whether the API runs without authentication (no bootstrap
// token was configured).
func (r *Registry) Open() bool { return r.bootstrap == "" }

// Follower is what the registry follows.
type Follower interface {
	Follow(ctx context.Context, filter string, opts events.FollowOptions, fn func(events.Recorded) error) error
}

// Run folds the token grants and the apps' projects until ctx ends,
// resuming after failures. Ready is closed once both are read.
func (r *Registry) Run(ctx context.Context, log Follower) error {
	var wg sync.WaitGroup
	follow := func(filter string, caught chan struct{}, fold func(events.Recorded)) {
		defer wg.Done()
		var seq uint64
		var once sync.Once
		for ctx.Err() == nil {
			_ = log.Follow(ctx, filter, events.FollowOptions{AfterSeq: seq, OnCaughtUp: func() { once.Do(func() { close(caught) }) }},
				func(rec events.Recorded) error {
					seq = rec.Sequence
					r.mu.Lock()
					fold(rec)
					r.mu.Unlock()
					return nil
				})
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	grants, apps := make(chan struct{}), make(chan struct{})
	wg.Add(2)
	go follow(Filter, grants, func(rec events.Recorded) {
		Fold(r.grants, rec.Event)
		r.seq = rec.Sequence
		close(r.changed)
		r.changed = make(chan struct{})
	})
	go follow(deployedFilter, apps, func(rec events.Recorded) { r.foldProject(rec.Event) })
	for _, c := range []chan struct{}{grants, apps} {
		select {
		case <-c:
		case <-ctx.Done():
		}
	}
	if ctx.Err() == nil {
		r.once.Do(func() { close(r.caughtUp) })
	}
	wg.Wait()
	return nil
}

// WaitFor returns once the registry has folded the event at seq, so a
// token is usable on this server as soon as its creation is answered.
func (r *Registry) WaitFor(ctx context.Context, seq uint64) error {
	for {
		r.mu.RLock()
		done, changed := r.seq >= seq, r.changed
		r.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Ready is closed once the registry has read every grant.
func (r *Registry) Ready() <-chan struct{} { return r.caughtUp }

// Authenticate finds who token is, or says why it does not work.
func (r *Registry) Authenticate(token string) (Principal, error) {
	h := Hash(token)
	if r.bootstrap != "" && subtle.ConstantTimeCompare([]byte(h), []byte(r.bootstrap)) == 1 {
		return Principal{Name: BootstrapName, Role: authz.Admin}, nil
	}
	name, _, err := Parse(token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: not a Berth token", ErrUnauthenticated)
	}
	r.mu.RLock()
	g, ok := r.grants[name]
	r.mu.RUnlock()
	switch {
	case !ok || subtle.ConstantTimeCompare([]byte(h), []byte(g.hash)) != 1:
		return Principal{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	case g.Revoked:
		return Principal{}, fmt.Errorf("%w: token %s was revoked", ErrUnauthenticated, name)
	case !g.Active(r.now()):
		return Principal{}, fmt.Errorf("%w: token %s expired", ErrUnauthenticated, name)
	}
	return Principal{Name: name, Role: authz.Role(g.Role), Projects: slices.Clone(g.Projects)}, nil
}

// List is every grant, by name, without secrets.
func (r *Registry) List() []Grant {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Grant, 0, len(r.grants))
	for _, g := range r.grants {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
