package projections

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/events"
)

var spec = events.Spec{Image: "nginx:1", Replicas: 2, Port: 80, CPUs: 0.5, MemoryBytes: 64 << 20, HealthPath: "/"}

func TestReadModelsFollowTheStream(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.append(events.HostRegistered{Host: "h1", Addr: "127.0.0.2", Zone: "a", Labels: map[string]string{"ssd": "yes"}, CPUs: 4, MemoryBytes: 8 << 30, PortMin: 20000, PortMax: 20999})
	h.append(events.AppDeployed{App: "web", Version: 1, Spec: spec})
	h.append(events.PlacementFailed{App: "web", Unplaced: 2, Reasons: []string{"no host has 0.5 cpus free"}})
	h.append(
		events.InstanceScheduled{App: "web", Instance: "web-aaaaaa", Version: 1, Host: "h1", HostAddr: "127.0.0.2", HostPort: 20001, Image: "nginx:1", CPUs: 0.5, MemoryBytes: 64 << 20},
		events.InstanceScheduled{App: "web", Instance: "web-bbbbbb", Version: 1, Host: "h1", HostAddr: "127.0.0.2", HostPort: 20002, Image: "nginx:1", CPUs: 0.5, MemoryBytes: 64 << 20},
	)
	h.append(events.InstanceStarted{App: "web", Instance: "web-aaaaaa", Host: "h1", ContainerID: "c1"})
	h.append(events.EndpointRegistered{App: "web", Instance: "web-aaaaaa", Host: "h1", Addr: "127.0.0.2:20001"})
	h.append(events.InstanceExited{App: "web", Instance: "web-bbbbbb", Host: "h1", ExitCode: 137, OOMKilled: true})
	h.append(events.AppDomainsSet{App: "web", Domains: []string{"www.example.com"}})
	h.append(events.AutoscalePolicySet{App: "web", Enabled: true, Min: 1, Max: 5, CPUHigh: 80})
	last := h.append(events.AppScaled{App: "web", Replicas: 3, Previous: 2, Cause: "manual"})

	r := h.runner()
	h.runToEnd(r)

	var (
		image, status string
		version, reps int
		domains       []string
		reasons       []string
		autoscaleMax  int
		specReplicas  int
	)
	err := h.db.QueryRow(ctx, `SELECT image, status, version, replicas, domains, placement_failure_reasons,
		(autoscale->>'max')::int, (spec->>'replicas')::int FROM apps WHERE name = 'web'`).
		Scan(&image, &status, &version, &reps, &domains, &reasons, &autoscaleMax, &specReplicas)
	if err != nil {
		t.Fatal(err)
	}
	if image != "nginx:1" || status != "running" || version != 1 || reps != 3 || specReplicas != 3 ||
		len(domains) != 1 || domains[0] != "www.example.com" || autoscaleMax != 5 {
		t.Errorf("app = %s %s v%d x%d (spec x%d) %v autoscale max %d", image, status, version, reps, specReplicas, domains, autoscaleMax)
	}
	if len(reasons) != 0 {
		t.Errorf("placement failure reasons %v survived a later placement", reasons)
	}
	states := map[string]string{}
	rows, _ := h.db.Query(ctx, `SELECT id, state FROM instances`)
	for rows.Next() {
		var id, st string
		_ = rows.Scan(&id, &st)
		states[id] = st
	}
	if states["web-aaaaaa"] != "healthy" || states["web-bbbbbb"] != "exited" || len(states) != 2 {
		t.Errorf("instance states = %v", states)
	}
	if n := h.count(`SELECT count(*) FROM endpoints WHERE app = 'web' AND addr = '127.0.0.2:20001'`); n != 1 {
		t.Errorf("endpoints of web = %d, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM app_events WHERE app = 'web'`); n != 10 {
		t.Errorf("web history has %d events, want 10", n)
	}
	if n := h.count(`SELECT count(*) FROM hosts WHERE id = 'h1' AND state = 'ready' AND labels->>'ssd' = 'yes'`); n != 1 {
		t.Errorf("host h1 not projected")
	}
	for _, p := range all() {
		if at := h.checkpoint(p.name); at != last {
			t.Errorf("checkpoint of %s = %d, want %d", p.name, at, last)
		}
	}

	// Live: Run follows new events.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	h.append(events.InstanceStopped{App: "web", Instance: "web-bbbbbb", Host: "h1"})
	h.append(events.HostLost{Host: "h1", LastSeen: time.Now()})
	deadline := time.Now().Add(30 * time.Second)
	for h.count(`SELECT count(*) FROM hosts WHERE state = 'lost'`) != 1 || h.count(`SELECT count(*) FROM instances WHERE state = 'stopped'`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("live events not projected within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}
