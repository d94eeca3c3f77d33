package dashboard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/natstest"
)

func TestLinksWorkOnceAndExpire(t *testing.T) {
	ctx := context.Background()
	js := natstest.JetStream(t, natstest.Start(t))
	now := t0
	clock := func() time.Time { return now }
	l, err := ensureLinks(ctx, js, 1, clock)
	if err != nil {
		t.Fatal(err)
	}
	// A second server opens the same bucket and redeems what the first issued.
	l2, err := ensureLinks(ctx, js, 1, clock)
	if err != nil {
		t.Fatal(err)
	}
	code, err := l.issue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.redeem(ctx, code); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := l.redeem(ctx, code); !errors.Is(err, ErrLinkUsed) {
		t.Fatalf("second use: %v, want ErrLinkUsed", err)
	}

	late, _ := l.issue(ctx)
	now = now.Add(LinkTTL + time.Second)
	if err := l.redeem(ctx, late); !errors.Is(err, ErrLinkUsed) {
		t.Fatalf("after %s: %v, want ErrLinkUsed", LinkTTL, err)
	}
	for _, bad := range []string{"", "short", "../../x", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p."} {
		if err := l.redeem(ctx, bad); !errors.Is(err, ErrLinkUsed) {
			t.Errorf("code %q: %v, want ErrLinkUsed", bad, err)
		}
	}

	// Many servers racing for one code: exactly one wins.
	raced, _ := l.issue(ctx)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.redeem(ctx, raced) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d redeemed the code, want 1", wins.Load())
	}
}
