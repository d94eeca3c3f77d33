package readapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/migrations"
	"github.com/berth-dev/berth/projections"
	"github.com/berth-dev/berth/projections/pgtest"
	"github.com/berth-dev/berth/projections/readapi"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// server appends evs to a real event stream, projects them into a real
// database and serves the read API over it.
func server(t *testing.T, evs ...events.Event) string {
	t.Helper()
	ctx := context.Background()
	nc := natstest.Connect(t, natstest.Start(t))
	store := natstest.StoreOn(t, nc, "test")
	for _, e := range evs {
		if _, err := store.Append(ctx, e.Aggregate(), events.ExpectAny, []events.Event{e}, events.AppendOptions{IdempotencyKey: ""}); err != nil {
			t.Fatal(err)
		}
	}
	dsn := pgtest.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	r, err := projections.New(ctx, projections.Config{DatabaseURL: dsn, NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.RunToEnd(runCtx); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	mux := http.NewServeMux()
	readapi.New(pool).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// get fetches path, checks the status and decodes the body into out.
func get(t *testing.T, base, path string, status int, out any) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: content type %q", path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func scheduled(app, id, host string, port int) events.InstanceScheduled {
	return events.InstanceScheduled{App: app, Instance: id, Version: 1, Host: host, HostAddr: "127.0.0.2",
		HostPort: port, Image: "nginx:1", CPUs: 0.5, MemoryBytes: 100 << 20}
}

var cluster = []events.Event{
	events.HostRegistered{Host: "h1", Addr: "127.0.0.2", Zone: "a", Labels: map[string]string{"disk": "ssd"}, CPUs: 4, MemoryBytes: 8 << 30, PortMin: 20000, PortMax: 20099},
	events.HostRegistered{Host: "h2", Addr: "127.0.0.3", CPUs: 2, MemoryBytes: 4 << 30, PortMin: 20000, PortMax: 20099},
	events.AppDeployed{App: "web", Version: 1, Spec: events.Spec{Image: "nginx:1", Replicas: 3, Port: 80, CPUs: 0.5, MemoryBytes: 100 << 20}},
	scheduled("web", "web-000001", "h1", 20001),
	scheduled("web", "web-000002", "h1", 20002),
	scheduled("web", "web-000003", "h2", 20001),
	events.InstanceStarted{App: "web", Instance: "web-000001", Host: "h1", ContainerID: "c1"},
	events.EndpointRegistered{App: "web", Instance: "web-000001", Host: "h1", Addr: "127.0.0.2:20001"},
	events.InstanceStarted{App: "web", Instance: "web-000002", Host: "h1", ContainerID: "c2"},
	events.InstanceExited{App: "web", Instance: "web-000002", Host: "h1", ExitCode: 137, OOMKilled: true},
	events.InstanceUnscheduled{App: "web", Instance: "web-000003", Host: "h2", Reason: "replaced"},
	events.InstanceStopped{App: "web", Instance: "web-000003", Host: "h2"},
	scheduled("web", "web-000004", "h2", 20002),
	events.AppDomainsSet{App: "web", Domains: []string{"www.example.com"}},
	events.AutoscaleDecided{App: "web", From: 3, To: 4, Rule: "cpu", Reason: "cpu 91% > 80%"},
	events.AppDeployed{App: "big", Version: 1, Spec: events.Spec{Image: "big:1", Replicas: 2, Port: 80, CPUs: 64}},
	events.PlacementFailed{App: "big", Unplaced: 2, Reasons: []string{"h1: needs 64 cpus, 3 free", "h2: needs 64 cpus, 1.5 free"}},
	events.HostLost{Host: "h2", LastSeen: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
}

func TestAppsAndInstances(t *testing.T) {
	base := server(t, cluster...)

	var apps []readapi.App
	get(t, base, "/v1/apps", 200, &apps)
	if len(apps) != 2 || apps[0].Name != "big" || apps[1].Name != "web" {
		t.Fatalf("apps = %+v", apps)
	}

	var web readapi.App
	get(t, base, "/v1/apps/web", 200, &web)
	wantCounts := map[string]int{"scheduled": 1, "running": 0, "healthy": 1, "unhealthy": 0, "exited": 1, "unscheduled": 0, "stopped": 1}
	for state, n := range wantCounts {
		if web.Instances[state] != n {
			t.Errorf("web has %d %s instances, want %d (all: %v)", web.Instances[state], state, n, web.Instances)
		}
	}
	if web.Replicas != 3 || web.Live != 2 || web.Healthy != 1 || web.Status != "running" || len(web.Domains) != 1 || len(web.PlacementFailure) != 0 {
		t.Errorf("web = %+v", web)
	}
	var spec events.Spec
	if err := json.Unmarshal(web.Spec, &spec); err != nil || spec.Image != "nginx:1" || spec.Port != 80 {
		t.Errorf("web spec = %s (%v)", web.Spec, err)
	}

	var big readapi.App
	get(t, base, "/v1/apps/big", 200, &big)
	if len(big.PlacementFailure) != 2 || big.PlacementUnplaced != 2 || big.PlacementFailedAt == nil || big.Live != 0 {
		t.Errorf("big = %+v, want its placement failure", big)
	}

	var insts []readapi.Instance
	get(t, base, "/v1/apps/web/instances", 200, &insts)
	if ids := idsOf(insts); fmt.Sprint(ids) != "[web-000001 web-000004]" {
		t.Errorf("live instances = %v, want the healthy and the scheduled one", ids)
	}
	get(t, base, "/v1/apps/web/instances?all=1", 200, &insts)
	if len(insts) != 4 {
		t.Fatalf("all instances = %v", idsOf(insts))
	}
	exited := insts[1]
	if exited.ID != "web-000002" || exited.State != "exited" || exited.ExitCode == nil || *exited.ExitCode != 137 ||
		!exited.OOMKilled || exited.ContainerID != "c2" || exited.ExitedAt == nil {
		t.Errorf("exited instance = %+v", exited)
	}
	if stopped := insts[2]; stopped.State != "stopped" || stopped.Reason != "replaced" || stopped.StoppedAt == nil {
		t.Errorf("stopped instance = %+v", stopped)
	}

	var eps []readapi.Endpoint
	get(t, base, "/v1/apps/web/endpoints", 200, &eps)
	if len(eps) != 1 || eps[0].Instance != "web-000001" || eps[0].Addr != "127.0.0.2:20001" || eps[0].Host != "h1" {
		t.Errorf("endpoints = %+v", eps)
	}
	get(t, base, "/v1/apps/big/endpoints", 200, &eps)
	if len(eps) != 0 {
		t.Errorf("big has endpoints %+v", eps)
	}
}

func idsOf(insts []readapi.Instance) []string {
	var ids []string
	for _, i := range insts {
		ids = append(ids, i.ID)
	}
	return ids
}

func TestHosts(t *testing.T) {
	base := server(t, cluster...)
	var hosts []readapi.Host
	get(t, base, "/v1/hosts", 200, &hosts)
	if len(hosts) != 2 {
		t.Fatalf("hosts = %+v", hosts)
	}
	h1, h2 := hosts[0], hosts[1]
	// h1 holds web-000001 (healthy); web-000002 exited and frees its place.
	if h1.ID != "h1" || h1.State != "ready" || h1.CPUs != 4 || h1.UsedCPUs != 0.5 || h1.UsedMemoryBytes != 100<<20 ||
		h1.Instances != 1 || h1.Labels["disk"] != "ssd" || h1.Zone != "a" || h1.PortMin != 20000 {
		t.Errorf("h1 = %+v", h1)
	}
	if h2.State != "lost" || h2.LostAt == nil || h2.LastSeen == nil || h2.Instances != 1 || h2.UsedCPUs != 0.5 {
		t.Errorf("h2 = %+v", h2)
	}
}

func TestHistory(t *testing.T) {
	base := server(t, cluster...)
	var all []readapi.Event
	get(t, base, "/v1/apps/web/events?limit=1000", 200, &all)
	if len(all) != 13 {
		t.Fatalf("web history has %d events, want 13", len(all))
	}
	first := all[0]
	if first.SpecVersion != "1.0" || first.Type != "dev.berth.app.deployed" || first.Subject != "web" ||
		first.Source != "test" || first.ID == "" || first.Time.IsZero() || first.DataContentType != "application/json" {
		t.Errorf("first event = %+v", first)
	}
	var dep events.AppDeployed
	if err := json.Unmarshal(first.Data, &dep); err != nil || dep.Replicas != 3 {
		t.Errorf("first event data = %s", first.Data)
	}

	// Paging with after= walks the same events in order.
	var paged []readapi.Event
	for after := int64(0); ; {
		var page []readapi.Event
		get(t, base, fmt.Sprintf("/v1/apps/web/events?after=%d&limit=4", after), 200, &page)
		if len(page) == 0 {
			break
		}
		if len(page) > 4 {
			t.Fatalf("page of %d events, limit 4", len(page))
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	if len(paged) != len(all) {
		t.Fatalf("paging found %d events, want %d", len(paged), len(all))
	}
	for i := range paged {
		if paged[i].Seq != all[i].Seq || (i > 0 && paged[i].Seq <= paged[i-1].Seq) {
			t.Fatalf("page order broken at %d: %d", i, paged[i].Seq)
		}
	}

	var decisions []readapi.Event
	get(t, base, "/v1/apps/web/events?type=dev.berth.app.autoscale_decided&order=desc&limit=10", 200, &decisions)
	if len(decisions) != 1 || decisions[0].Type != "dev.berth.app.autoscale_decided" {
		t.Errorf("autoscale decisions = %+v", decisions)
	}
	var newest []readapi.Event
	get(t, base, "/v1/apps/web/events?order=desc&limit=2", 200, &newest)
	if len(newest) != 2 || newest[0].Seq != all[len(all)-1].Seq || newest[1].Seq != all[len(all)-2].Seq {
		t.Errorf("newest two = %+v", newest)
	}
}

func TestErrors(t *testing.T) {
	base := server(t, cluster[2])
	var body struct {
		Error string `json:"error"`
	}
	for path, status := range map[string]int{
		"/v1/apps/nope":                      404,
		"/v1/apps/nope/instances":            404,
		"/v1/apps/nope/events":               404,
		"/v1/apps/nope/endpoints":            404,
		"/v1/apps/Not_An_App":                400,
		"/v1/apps/web/events?limit=0":        400,
		"/v1/apps/web/events?limit=5000":     400,
		"/v1/apps/web/events?after=x":        400,
		"/v1/apps/web/events?order=sideways": 400,
		"/v1/apps/web/instances?all=maybe":   400,
	} {
		body.Error = ""
		get(t, base, path, status, &body)
		if body.Error == "" {
			t.Errorf("GET %s: no error message", path)
		}
	}
	var empty []readapi.Host
	get(t, base, "/v1/hosts", 200, &empty)
	if empty == nil || len(empty) != 0 {
		t.Errorf("hosts = %#v, want an empty JSON array", empty)
	}
}
