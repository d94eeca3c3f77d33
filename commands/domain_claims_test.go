package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// twoServers are two command handlers on one event stream and one claims
// bucket, as two `berth server` processes are.
func twoServers(t *testing.T, grace time.Duration) (a, b *commands.Handler, urlA, urlB string, kv jetstream.KeyValue) {
	t.Helper()
	ns := natstest.Start(t)
	js := natstest.JetStream(t, ns)
	kv, err := events.OpenBucket(context.Background(), js, events.BucketDomains)
	if err != nil {
		t.Fatal(err)
	}
	serve := func() (*commands.Handler, string) {
		h := commands.NewHandler(natstest.StoreOn(t, natstest.Connect(t, ns), "test"), "api")
		h.ClaimDomains(kv, "localhost", grace)
		mux := http.NewServeMux()
		h.Routes(mux)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return h, srv.URL
	}
	a, urlA = serve()
	b, urlB = serve()
	return a, b, urlA, urlB, kv
}

func postDomains(t *testing.T, base, app string, domains ...string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"domains": append([]string{}, domains...)})
	resp, err := http.Post(base+"/v1/apps/"+app+"/domains", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The audit's attack: relm4 set relweb.localhost as its domain and took
// relweb's traffic; two apps with one custom domain both got 201.
func TestDomainBelongsToOneApp(t *testing.T) {
	a, b, urlA, urlB, _ := twoServers(t, 0)
	deploy(t, a, "relweb", 1)
	deploy(t, a, "relm4", 1)

	code, body := postDomains(t, urlA, "relm4", "relweb.localhost")
	if code != 409 || !strings.Contains(fmt.Sprint(body["error"]), "app relweb") {
		t.Fatalf("another app's name: %d %v; want 409 naming relweb", code, body)
	}

	// Both servers, both apps, the same domains at once, round after
	// round: one request wins, the other is told who owns them.
	for round := range 10 {
		ds := []string{fmt.Sprintf("r%da.example.test", round), fmt.Sprintf("r%db.example.test", round)}
		var wg sync.WaitGroup
		results := make([]string, 2)
		for i, c := range []struct{ url, app string }{{urlA, "relweb"}, {urlB, "relm4"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := postDomains(t, c.url, c.app, ds...)
				results[i] = fmt.Sprintf("%d %v", code, body["error"])
			}()
		}
		wg.Wait()
		wins := 0
		for _, r := range results {
			switch {
			case strings.HasPrefix(r, "201"):
				wins++
			case !strings.HasPrefix(r, "409") || !strings.Contains(r, "belongs to app"):
				t.Errorf("round %d: loser's answer %s", round, r)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d requests granted %v (%v)", round, wins, ds, results)
		}
		web, _ := b.State(context.Background(), "relweb")
		m4, _ := b.State(context.Background(), "relm4")
		for _, d := range web.Domains {
			if slices.Contains(m4.Domains, d) {
				t.Fatalf("both apps hold %s", d)
			}
		}
	}
}

func TestDomainReleasedWhenDroppedOrStopped(t *testing.T) {
	a, b, urlA, urlB, _ := twoServers(t, 0)
	deploy(t, a, "web", 1)
	deploy(t, a, "api", 1)
	if code, body := postDomains(t, urlA, "web", "www.example.test", "shop.example.test"); code != 201 {
		t.Fatalf("claim: %d %v", code, body)
	}
	if code, _ := postDomains(t, urlB, "api", "www.example.test"); code != 409 {
		t.Fatalf("taken domain: %d", code)
	}
	// web drops www: api may have it.
	if code, body := postDomains(t, urlA, "web", "shop.example.test"); code != 201 {
		t.Fatalf("drop: %d %v", code, body)
	}
	if code, body := postDomains(t, urlB, "api", "www.example.test"); code != 201 {
		t.Fatalf("dropped domain not free: %d %v", code, body)
	}
	// web is stopped: its domains go back with it.
	resp, err := http.Post(urlA+"/v1/apps/web/stop", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	web, _ := b.State(context.Background(), "web")
	if !web.Stopped || len(web.Domains) != 0 {
		t.Fatalf("stopped app keeps domains %v", web.Domains)
	}
	if code, body := postDomains(t, urlB, "api", "www.example.test", "shop.example.test"); code != 201 {
		t.Fatalf("stopped app's domain not free: %d %v", code, body)
	}
}

// A claim left behind (a server died between claim and append) is taken
// over once its grace period is over, but never one its owner holds.
func TestStaleDomainClaimIsTakenOver(t *testing.T) {
	a, _, urlA, _, kv := twoServers(t, time.Nanosecond)
	deploy(t, a, "web", 1)
	deploy(t, a, "api", 1)
	if _, err := kv.Create(context.Background(), "left.example.test", []byte("ghost")); err != nil {
		t.Fatal(err)
	}
	if code, body := postDomains(t, urlA, "web", "left.example.test"); code != 201 {
		t.Fatalf("stale claim: %d %v", code, body)
	}
	if code, body := postDomains(t, urlA, "api", "left.example.test"); code != 409 {
		t.Fatalf("held claim taken over: %d %v", code, body)
	}
	e, err := kv.Get(context.Background(), "left.example.test")
	if err != nil || string(e.Value()) != "web" {
		t.Fatalf("claim = %v, %v", e, err)
	}
}
