package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
)

func TestDeploySpreadsAcrossZonesAndHostsWithClaimedPorts(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	e.start(Config{})
	e.exec("web", commands.Deploy{App: "web", Image: "web:1", Replicas: ptr(4), Port: 3000,
		Env: map[string]string{"MODE": "prod"}, Memory: "64m", CPUs: 0.25}.Decide)

	got := e.waitLive("web", 4, appstate.StateHealthy)
	zones := map[string]int{}
	hosts := map[string]int{}
	for _, in := range got {
		hosts[in.Host]++
		if in.Host == "h3" {
			zones["b"]++
		} else {
			zones["a"]++
		}
	}
	if zones["a"] != 2 || zones["b"] != 2 || len(hosts) != 3 {
		t.Errorf("placement by zone %v, by host %v; want 2 per zone on all 3 hosts", zones, hosts)
	}
	e.checkPorts("web")

	claims := e.claims()
	for _, sch := range history[events.InstanceScheduled](e, "web") {
		want := events.InstanceScheduled{App: "web", Instance: sch.Instance, Version: 1, Host: sch.Host,
			HostAddr: "127.0.0.1" + sch.Host[1:], HostPort: sch.HostPort, ContainerPort: 3000, Image: "web:1",
			Env: map[string]string{"MODE": "prod"}, MemoryBytes: 64 << 20, CPUs: 0.25}
		if fmt.Sprint(sch) != fmt.Sprint(want) {
			t.Errorf("scheduled %+v\nwant      %+v", sch, want)
		}
		if key := ClaimKey(sch.Host, sch.HostPort); claims[key] != sch.Instance {
			t.Errorf("claim %s = %q, want %s", key, claims[key], sch.Instance)
		}
	}
}

func TestScaleUpAndDownReleasesPorts(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	e.start(Config{})
	e.deploy("web", "web:1", 2)
	e.waitLive("web", 2, appstate.StateHealthy)

	e.exec("web", commands.Scale{App: "web", Replicas: 5}.Decide)
	e.waitLive("web", 5, appstate.StateHealthy)
	e.checkPorts("web")

	e.exec("web", commands.Scale{App: "web", Replicas: 1}.Decide)
	var keep []appstate.Instance
	e.waitFor("scale down to one instance, the others stopped", func() (bool, string) {
		st := e.state("web")
		keep = e.live("web")
		return len(st.Instances) == 1 && len(keep) == 1, fmt.Sprintf("%+v", st.Instances)
	})
	down := 0
	for _, u := range history[events.InstanceUnscheduled](e, "web") {
		if u.Reason != "scale down" {
			t.Errorf("unscheduled %s for %q, want scale down", u.Instance, u.Reason)
		}
		down++
	}
	if down != 4 {
		t.Errorf("%d instances unscheduled, want 4", down)
	}
	e.waitFor("only the remaining instance's port claimed", func() (bool, string) {
		c := e.claims()
		return len(c) == 1 && c[ClaimKey(keep[0].Host, keep[0].HostPort)] == keep[0].ID, fmt.Sprint(c)
	})

	// Released ports are claimed again.
	e.exec("web", commands.Scale{App: "web", Replicas: 4}.Decide)
	live := e.waitLive("web", 4, appstate.StateHealthy)
	e.checkPorts("web")
	c := e.claims()
	for _, in := range live {
		if key := ClaimKey(in.Host, in.HostPort); c[key] != in.ID {
			t.Errorf("claim %s = %q, want %s", key, c[key], in.ID)
		}
	}
	if len(c) != 4 {
		t.Errorf("%d claims, want 4: %v", len(c), c)
	}
}

func TestExitedInstanceIsUnscheduledAndReplaced(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	e.start(Config{})
	e.deploy("web", "web:1", 3)
	before := e.waitLive("web", 3, appstate.StateHealthy)
	dead := before[1]

	e.record("web", events.InstanceExited{App: "web", Instance: dead.ID, Host: dead.Host, ExitCode: 137, OOMKilled: true})
	e.waitFor("the exited instance replaced and stopped", func() (bool, string) {
		st := e.state("web")
		_, still := st.Instances[dead.ID]
		live := e.live("web")
		return !still && len(live) == 3, fmt.Sprintf("%+v", st.Instances)
	})
	var reasons []string
	for _, u := range history[events.InstanceUnscheduled](e, "web") {
		reasons = append(reasons, u.Instance+": "+u.Reason)
	}
	if fmt.Sprint(reasons) != fmt.Sprint([]string{dead.ID + ": instance exited"}) {
		t.Errorf("unscheduled %q, want only %s for exiting", reasons, dead.ID)
	}
	if n := len(history[events.InstanceScheduled](e, "web")); n != 4 {
		t.Errorf("%d instances scheduled, want 3 and one replacement", n)
	}
	e.checkPorts("web")
}

func TestHealthFailedInstanceIsReplaced(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	e.start(Config{})
	e.deploy("web", "web:1", 2)
	before := e.waitLive("web", 2, appstate.StateHealthy)
	sick := before[0]

	e.exec("web", commands.HealthFail{App: "web", Instance: sick.ID, Reason: "GET /_ping: 500", Source: "health-worker"}.Decide)
	e.waitFor("the failed instance replaced", func() (bool, string) {
		st := e.state("web")
		_, still := st.Instances[sick.ID]
		live := e.live("web")
		healthy := 0
		for _, in := range live {
			if in.State == appstate.StateHealthy && in.ID != sick.ID {
				healthy++
			}
		}
		return !still && healthy == 2, fmt.Sprintf("%+v", st.Instances)
	})
	un := history[events.InstanceUnscheduled](e, "web")
	if len(un) != 1 || un[0].Instance != sick.ID || un[0].Reason != "instance failed" {
		t.Errorf("unscheduled %+v, want %s for failing", un, sick.ID)
	}
}

func TestHostLostMovesInstancesAndReleasesTheirPorts(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	ag := e.agents(always)
	e.start(Config{})
	e.deploy("web", "web:1", 3)
	var gone appstate.Instance
	for _, in := range e.waitLive("web", 3, appstate.StateHealthy) {
		if in.Host == "h3" {
			gone = in
		}
	}
	if gone.ID == "" {
		t.Fatal("no instance on h3 to lose")
	}

	ag.hostDown("h3")
	if _, err := e.store.Append(e.ctx, events.Host("h3"), events.ExpectAny, []events.Event{events.HostLost{Host: "h3"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitFor("instances moved off h3", func() (bool, string) {
		live := e.live("web")
		ok := len(live) == 3
		for _, in := range live {
			ok = ok && in.Host != "h3" && in.State == appstate.StateHealthy
		}
		return ok, fmt.Sprintf("%+v", live)
	})
	if st := e.state("web").Instances[gone.ID]; st.State != appstate.StateUnscheduled {
		t.Errorf("instance on the lost host is %q, want unscheduled", st.State)
	}
	// Its agent is gone and won't report it stopped: the claim goes anyway.
	e.waitFor("the lost instance's claim released", func() (bool, string) {
		c := e.claims()
		_, held := c[ClaimKey(gone.Host, gone.HostPort)]
		return !held && len(c) == 3, fmt.Sprint(c)
	})
	e.checkPorts("web")
}

func TestUnplaceableAppRecordsFailureOnce(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	s := e.start(Config{})
	replicas := 2
	e.exec("gpu", commands.Deploy{App: "gpu", Image: "cuda:1", Replicas: &replicas, Constraints: map[string]string{"gpu": "yes"}}.Decide)

	e.waitFor("PlacementFailed", func() (bool, string) {
		return len(history[events.PlacementFailed](e, "gpu")) > 0, ""
	})
	e.waitResyncs(3, s)
	// A new host that doesn't fit wakes the app up too.
	e.host("h4", "b", map[string]string{"gpu": "no"})
	e.waitResyncs(2, s)
	failed := history[events.PlacementFailed](e, "gpu")
	if len(failed) != 1 {
		t.Fatalf("%d PlacementFailed, want 1: %+v", len(failed), failed)
	}
	if f := failed[0]; f.Unplaced != 2 || fmt.Sprint(f.Reasons) != "[no host matches constraint gpu=yes]" {
		t.Errorf("PlacementFailed %+v", f)
	}

	e.host("h5", "b", map[string]string{"gpu": "yes"})
	for _, in := range e.waitLive("gpu", 2, appstate.StateHealthy) {
		if in.Host != "h5" {
			t.Errorf("%s placed on %s, want h5", in.ID, in.Host)
		}
	}
}

func TestTwoSchedulersPlaceEachInstanceOnce(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	a, b := e.start(Config{}), e.start(Config{})
	e.deploy("web", "web:1", 5)

	e.waitFor("5 instances", func() (bool, string) {
		n := len(history[events.InstanceScheduled](e, "web"))
		return n >= 5, fmt.Sprint(n)
	})
	e.waitResyncs(2, a, b)
	if n := len(history[events.InstanceScheduled](e, "web")); n != 5 {
		t.Errorf("%d InstanceScheduled, want exactly 5", n)
	}
	e.checkPorts("web")
	if c := e.claims(); len(c) != 5 {
		t.Errorf("%d port claims, want 5: %v", len(c), c)
	}
}

func TestTwoAppsTwoSchedulersOneHostNeverSharePorts(t *testing.T) {
	e := newEnv(t)
	e.host("h1", "a", nil)
	// Small decisions interleave the apps and the schedulers more.
	a, b := e.start(Config{MaxEvents: 3}), e.start(Config{MaxEvents: 3})
	var wg sync.WaitGroup
	for _, app := range []string{"web", "api"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := 20
			if _, err := e.api.Execute(e.ctx, app, "", commands.Deploy{App: app, Image: app + ":1", Replicas: &r}.Decide); err != nil {
				t.Errorf("deploy %s: %v", app, err)
			}
		}()
	}
	wg.Wait()
	e.waitLive("web", 20, "")
	e.waitLive("api", 20, "")
	e.waitResyncs(2, a, b)
	e.checkPorts("web", "api")
	for _, app := range []string{"web", "api"} {
		if n := len(history[events.InstanceScheduled](e, app)); n != 20 {
			t.Errorf("%s: %d InstanceScheduled, want 20", app, n)
		}
	}
	claims := e.claims()
	if len(claims) != 40 {
		t.Errorf("%d claims, want 40", len(claims))
	}
	for _, app := range []string{"web", "api"} {
		for id, in := range e.state(app).Instances {
			if key := ClaimKey(in.Host, in.HostPort); claims[key] != id {
				t.Errorf("claim %s = %q, want %s", key, claims[key], id)
			}
		}
	}
}

func TestRolloutKeepsOldVersionUntilNewIsHealthy(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	// Version 2 starts but never passes its health check.
	e.agents(func(s events.InstanceScheduled) bool { return s.Version == 1 })
	s := e.start(Config{})
	e.deploy("web", "web:1", 2)
	old := e.waitLive("web", 2, appstate.StateHealthy)

	e.deploy("web", "web:2", 2)
	var fresh []appstate.Instance
	running := func(n int) func() (bool, string) {
		return func() (bool, string) {
			fresh = fresh[:0]
			for _, in := range e.live("web") {
				if in.Version == 2 && in.State == appstate.StateRunning {
					fresh = append(fresh, in)
				}
			}
			return len(fresh) == n, fmt.Sprintf("%+v", e.live("web"))
		}
	}
	// A rolling update surges by one (25% of 2, rounded up) ...
	e.waitFor("one instance of release 2 running next to release 1", running(1))
	e.waitResyncs(3, s)
	if n := len(e.live("web")); n != 3 {
		t.Errorf("%d live instances during the surge, want 3", n)
	}
	// ... and the rollout worker's verdict brings the rest in.
	e.record("web", events.RolloutSucceeded{App: "web", Release: 2, Reason: "test"})
	e.waitFor("release 2 running next to release 1", running(2))
	e.waitResyncs(3, s)
	st := e.state("web")
	for _, in := range old {
		if got := st.Instances[in.ID].State; got != appstate.StateHealthy {
			t.Errorf("version 1 instance %s is %q while version 2 is unhealthy, want healthy", in.ID, got)
		}
	}

	for _, in := range fresh {
		e.record("web", events.EndpointRegistered{App: "web", Instance: in.ID, Host: in.Host, Addr: "x"})
	}
	e.waitFor("version 1 gone", func() (bool, string) {
		st := e.state("web")
		ok := len(st.Instances) == 2
		for _, in := range st.Instances {
			ok = ok && in.Version == 2 && in.State == appstate.StateHealthy
		}
		return ok, fmt.Sprintf("%+v", st.Instances)
	})
	for _, u := range history[events.InstanceUnscheduled](e, "web") {
		if u.Reason != "replaced by release 2" {
			t.Errorf("unscheduled %s for %q", u.Instance, u.Reason)
		}
	}
	e.checkPorts("web")
}

func TestStopUnschedulesEverything(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	e.agents(always)
	s := e.start(Config{})
	e.deploy("web", "web:1", 3)
	e.waitLive("web", 3, appstate.StateHealthy)

	e.exec("web", commands.Stop{App: "web"}.Decide)
	e.waitFor("every instance stopped", func() (bool, string) {
		st := e.state("web")
		return len(st.Instances) == 0, fmt.Sprintf("%+v", st.Instances)
	})
	e.waitFor("every claim released", func() (bool, string) {
		c := e.claims()
		return len(c) == 0, fmt.Sprint(c)
	})
	e.waitResyncs(2, s)
	if n := len(history[events.InstanceScheduled](e, "web")); n != 3 {
		t.Errorf("%d scheduled, want 3: a stopped app gets nothing new", n)
	}
}

func TestPortsClaimedElsewhereAreAvoided(t *testing.T) {
	e := newEnv(t)
	e.host("h1", "a", nil)
	// Another scheduler claimed 20000 for an instance it is about to append.
	if _, err := e.kv.Create(e.ctx, ClaimKey("h1", 20000), []byte("other-abcdef")); err != nil {
		t.Fatal(err)
	}
	s := e.start(Config{})
	e.deploy("web", "web:1", 1)
	in := e.waitLive("web", 1, "")[0]
	if in.HostPort != 20001 {
		t.Errorf("placed on port %d, want 20001 (20000 is claimed)", in.HostPort)
	}
	e.waitResyncs(2, s)
	if c := e.claims(); c[ClaimKey("h1", 20000)] != "other-abcdef" {
		t.Errorf("a recent claim of an unknown instance was collected: %v", c)
	}
}

func TestStaleClaimsAreCollected(t *testing.T) {
	e := newEnv(t)
	e.host("h1", "a", nil)
	e.agents(always)
	e.start(Config{ClaimGrace: 200 * time.Millisecond})
	e.deploy("web", "web:1", 2)
	live := e.waitLive("web", 2, appstate.StateHealthy)
	if _, err := e.kv.Create(e.ctx, ClaimKey("h1", 20050), []byte("ghost-abcdef")); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the ghost claim collected, the live ones kept", func() (bool, string) {
		c := e.claims()
		ok := len(c) == 2
		for _, in := range live {
			ok = ok && c[ClaimKey(in.Host, in.HostPort)] == in.ID
		}
		return ok, fmt.Sprint(c)
	})

	// A live instance's claim that went missing is restored.
	lostKey := ClaimKey(live[0].Host, live[0].HostPort)
	if err := e.kv.Delete(e.ctx, lostKey); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the missing claim restored", func() (bool, string) {
		c := e.claims()
		return c[lostKey] == live[0].ID && len(c) == 2, fmt.Sprint(c)
	})
}

func ptr[T any](v T) *T { return &v }

// failingAppends wraps the real handler; while fail is set, every decision
// that would append something fails as an append that didn't go through.
type failingAppends struct {
	h      *commands.Handler
	fail   atomic.Bool
	failed atomic.Int64
}

func (f *failingAppends) Execute(ctx context.Context, app, key string, decide commands.Decider) (commands.Result, error) {
	return f.h.Execute(ctx, app, key, func(a *appstate.App) ([]events.Event, error) {
		evs, err := decide(a)
		if err == nil && len(evs) > 0 && f.fail.Load() {
			f.failed.Add(1)
			return nil, errors.New("append failed")
		}
		return evs, err
	})
}

func TestFailedDecisionReleasesItsClaims(t *testing.T) {
	e := newEnv(t)
	e.threeHosts()
	exec := &failingAppends{h: commands.NewHandler(e.store, Source)}
	exec.fail.Store(true)
	s, err := New(Config{Resync: time.Hour, RetryAfter: time.Hour, Logger: testLogger(t)}, e.store, exec, e.js)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e.deploy("web", "web:1", 3)
	e.waitFor("a failed decision", func() (bool, string) { return exec.failed.Load() > 0, "" })
	e.waitFor("its claims released", func() (bool, string) {
		c := e.claims()
		return len(c) == 0, fmt.Sprint(c)
	})
	if n := len(history[events.InstanceScheduled](e, "web")); n != 0 {
		t.Fatalf("%d instances scheduled by failed decisions", n)
	}

	exec.fail.Store(false)
	e.exec("web", commands.Scale{App: "web", Replicas: 4}.Decide)
	live := e.waitLive("web", 4, "")
	c := e.claims()
	for _, in := range live {
		if key := ClaimKey(in.Host, in.HostPort); c[key] != in.ID {
			t.Errorf("claim %s = %q, want %s", key, c[key], in.ID)
		}
	}
	if len(c) != 4 {
		t.Errorf("%d claims, want 4: %v", len(c), c)
	}
}

// A port taken by something outside Berth fails the start; the replacement
// gets another port on that host instead of failing on the same one.
func TestPortInUseIsNotHandedOutAgain(t *testing.T) {
	e := newEnv(t)
	e.host("h1", "a", nil)
	e.agents(always)
	e.start(Config{})
	e.deploy("web", "web:1", 1)
	first := e.waitLive("web", 1, appstate.StateHealthy)[0]

	e.record("web", events.InstanceExited{App: "web", Instance: first.ID, Host: first.Host, ExitCode: -1,
		Error: fmt.Sprintf("Bind for 127.0.0.1:%d failed: port is already allocated", first.HostPort)})
	e.waitFor("a replacement on another port", func() (bool, string) {
		live := e.live("web")
		return len(live) == 1 && live[0].ID != first.ID, fmt.Sprintf("%+v", live)
	})
	if got := e.live("web")[0].HostPort; got == first.HostPort {
		t.Fatalf("replacement got port %d again", got)
	}
	if _, held := e.claims()[ClaimKey(first.Host, first.HostPort)]; !held {
		t.Fatalf("the port in use is no longer reserved: %v", e.claims())
	}
}
