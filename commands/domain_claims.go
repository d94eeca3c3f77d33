package commands

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/appstate"
)

// Domain claims make a custom domain belong to one app across apps and
// servers: the handler's optimistic concurrency covers one app only. A
// claim is the key "<domain>" in the berth_domains bucket, its value the
// app; creating a key fails if it exists, so one claimant wins, and the
// loser is told who owns it. Claims are taken before an AppDomainsSet is
// appended and given back if the append fails; domains an app drops (or
// loses when stopped) are released after. A claim whose owner does not
// hold the domain (a server died between claim and append, or before
// releasing) is taken over once it is older than the grace period.

// DomainKV is what domain claims need of the berth_domains bucket;
// jetstream.KeyValue is one.
type DomainKV interface {
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
}

// DomainTakenError: the domain belongs to another app. Answered with 409.
type DomainTakenError struct {
	Domain, Owner string
}

func (e *DomainTakenError) Error() string {
	return fmt.Sprintf("domain %s belongs to app %s", e.Domain, e.Owner)
}

// FieldName names the input field.
func (e *DomainTakenError) FieldName() string { return "domains" }

// HTTPStatus is 409 Conflict.
func (e *DomainTakenError) HTTPStatus() int { return http.StatusConflict }

// Unwrap lets errors.Is(err, ErrRejected) hold.
func (e *DomainTakenError) Unwrap() error { return ErrRejected }

// DefaultClaimGrace is how long a claim is never taken over, though its
// owner does not (yet) list the domain: longer than any command takes.
const DefaultClaimGrace = time.Minute

type domainClaims struct {
	kv            DomainKV
	store         EventStore
	gatewayDomain string
	grace         time.Duration
}

// ClaimDomains makes the handler claim custom domains in kv before any
// AppDomainsSet is appended, and refuse another app's name under
// gatewayDomain ("<app>.<gatewayDomain>"). grace 0 is DefaultClaimGrace.
func (h *Handler) ClaimDomains(kv DomainKV, gatewayDomain string, grace time.Duration) {
	if grace == 0 {
		grace = DefaultClaimGrace
	}
	h.domains = &domainClaims{kv: kv, store: h.store, gatewayDomain: gatewayDomain, grace: grace}
}

// domainsSetBy is the domains evs leave the app with, ok false if they
// don't set any.
func domainsSetBy(evs []events.Event) (domains []string, ok bool) {
	for _, e := range evs {
		if d, isSet := e.(events.AppDomainsSet); isSet {
			domains, ok = d.Domains, true
		}
	}
	return domains, ok
}

// claim takes every domain evs give app that it does not hold yet. undo
// gives back what this call took, for when the append fails.
func (c *domainClaims) claim(ctx context.Context, app *appstate.App, evs []events.Event) (undo func(), err error) {
	want, ok := domainsSetBy(evs)
	undo = func() {}
	if !ok {
		return undo, nil
	}
	type taken struct {
		domain string
		rev    uint64
	}
	var took []taken
	undo = func() {
		for _, t := range took {
			_ = c.kv.Delete(context.WithoutCancel(ctx), t.domain, jetstream.LastRevision(t.rev))
		}
	}
	for _, d := range want {
		if slices.Contains(app.Domains, d) {
			continue
		}
		rev, err := c.take(ctx, app.Name, d)
		if err != nil {
			undo()
			return func() {}, err
		}
		if rev != 0 {
			took = append(took, taken{d, rev})
		}
	}
	return undo, nil
}

// release gives back the domains app held before evs and no longer does.
func (c *domainClaims) release(ctx context.Context, app string, before []string, evs []events.Event) {
	after, ok := domainsSetBy(evs)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, d := range before {
		if slices.Contains(after, d) {
			continue
		}
		e, err := c.kv.Get(ctx, d)
		if err != nil || string(e.Value()) != app {
			continue
		}
		// A failure leaves a claim the app does not hold; the next
		// claimant takes it over after the grace period.
		_ = c.kv.Delete(ctx, d, jetstream.LastRevision(e.Revision()))
	}
}

// take claims d for app; rev is 0 when app held the claim already.
func (c *domainClaims) take(ctx context.Context, app, d string) (rev uint64, err error) {
	for range 5 {
		rev, err := c.kv.Create(ctx, d, []byte(app))
		if err == nil {
			return rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("claim domain %s: %w", d, err)
		}
		e, err := c.kv.Get(ctx, d)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return 0, fmt.Errorf("claim domain %s: %w", d, err)
		}
		owner := string(e.Value())
		if owner == app {
			return 0, nil
		}
		if time.Since(e.Created()) < c.grace {
			return 0, &DomainTakenError{Domain: d, Owner: owner}
		}
		holds, err := c.holds(ctx, owner, d)
		if err != nil {
			return 0, err
		}
		if holds {
			return 0, &DomainTakenError{Domain: d, Owner: owner}
		}
		if rev, err := c.kv.Update(ctx, d, []byte(app), e.Revision()); err == nil {
			return rev, nil
		}
		// changed meanwhile: look again
	}
	return 0, fmt.Errorf("claim domain %s: %w", d, events.ErrConflict)
}

// holds reports whether owner's history gives it domain d now. It reads
// the store, not the handler's cache, so no second app lock is taken.
func (c *domainClaims) holds(ctx context.Context, owner, d string) (bool, error) {
	recs, _, err := c.store.Load(ctx, events.App(owner), 0)
	if err != nil {
		return false, fmt.Errorf("check owner %s of domain %s: %w", owner, d, err)
	}
	a := appstate.NewApp(owner)
	for _, r := range recs {
		if r.Event != nil {
			a.Apply(r)
		}
	}
	return a.Exists && slices.Contains(a.Domains, d), nil
}
