package routing

import (
	"net/netip"
	"testing"
)

func TestLookup(t *testing.T) {
	table, problems := Build(
		[]Route{
			{App: "web", Domains: []string{"WWW.Example.com.", "example.com"}},
			{App: "api", Domains: []string{"example.com"}}, // claimed twice: api sorts first and wins
			{App: "idle"},
		},
		[]Endpoint{
			{App: "web", Instance: "web-bbbbbb", Addr: "127.0.0.2:2"},
			{App: "web", Instance: "web-aaaaaa", Addr: "127.0.0.2:1"},
			{App: "api", Instance: "api-cccccc", Addr: "127.0.0.3:1"},
		},
	)
	if len(problems) != 1 {
		t.Fatalf("problems = %v, want the one doubly claimed domain", problems)
	}

	tests := []struct {
		host string
		want string // "" = not found
	}{
		{"web.localhost", "web"},
		{"web.localhost:8080", "web"},
		{"WEB.LOCALHOST.", "web"},
		{"www.example.com", "web"},
		{"www.example.com:443", "web"},
		{"example.com", "api"}, // routes are applied in app order, api first
		{"api.localhost", "api"},
		{"idle.localhost", "idle"},
		{"nope.localhost", ""},
		{"localhost", ""},
		{"a.web.localhost", ""},
		{"web.example.org", ""},
		{"", ""},
		{"[::1]:8080", ""},
	}
	for _, tt := range tests {
		a, ok := table.Lookup(tt.host, "localhost")
		got := ""
		if ok {
			got = a.Name
		}
		if got != tt.want {
			t.Errorf("Lookup(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}

	web, _ := table.App("web")
	if len(web.Endpoints) != 2 || web.Endpoints[0].Instance != "web-aaaaaa" {
		t.Errorf("web endpoints = %+v, want sorted by instance", web.Endpoints)
	}
	idle, _ := table.App("idle")
	if len(idle.Endpoints) != 0 {
		t.Errorf("idle endpoints = %+v, want none", idle.Endpoints)
	}
	if got := table.Apps(); len(got) != 3 || got[0] != "api" || got[2] != "web" {
		t.Errorf("Apps() = %v", got)
	}
}

func TestDenies(t *testing.T) {
	table, problems := Build([]Route{{App: "web", Deny: []string{"10.0.0.0/8", "1.2.3.4", "2001:db8::/32", "bogus", "127.0.0.5/32"}}}, nil)
	if len(problems) != 1 {
		t.Fatalf("problems = %v, want the bogus entry only", problems)
	}
	web, _ := table.App("web")
	tests := []struct {
		ip   string
		deny bool
	}{
		{"10.1.2.3", true},
		{"::ffff:10.1.2.3", true},
		{"1.2.3.4", true},
		{"1.2.3.5", false},
		{"2001:db8::1", true},
		{"2001:db9::1", false},
		{"127.0.0.5", true},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got := web.Denies(netip.MustParseAddr(tt.ip)); got != tt.deny {
			t.Errorf("Denies(%s) = %v, want %v", tt.ip, got, tt.deny)
		}
	}
	if web.Denies(netip.Addr{}) {
		t.Error("an unknown client address must not match")
	}
}

func TestBuildSkipsBadEndpoints(t *testing.T) {
	table, problems := Build(nil, []Endpoint{{App: "web", Instance: "web-1"}, {Instance: "x", Addr: "127.0.0.1:1"}})
	if len(problems) != 2 {
		t.Fatalf("problems = %v, want 2", problems)
	}
	if len(table.Apps()) != 0 {
		t.Fatalf("apps = %v, want none", table.Apps())
	}
}

func TestNextRoundRobin(t *testing.T) {
	table, _ := Build(nil, []Endpoint{{App: "web", Instance: "a", Addr: "x:1"}})
	web, _ := table.App("web")
	for i := range uint64(5) {
		if got := web.Next(); got != i {
			t.Fatalf("Next() = %d, want %d", got, i)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	table, _ := Build([]Route{{App: "shop", Domains: []string{"shop.example"}}},
		[]Endpoint{{App: "web", Instance: "web-1", Addr: "127.0.0.2:1"}})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := table.Lookup("web.localhost:8080", "localhost"); !ok {
			b.Fatal("not found")
		}
	}
}
