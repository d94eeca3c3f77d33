package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/events"
)

func TestRegistersAndHeartbeats(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	cfg := h.config(host, addr1)
	cfg.Zone, cfg.Labels = "z1", map[string]string{"disk": "ssd"}
	stop := h.startAgent(cfg)

	registered := func() []events.HostRegistered {
		var out []events.HostRegistered
		for _, e := range h.history(events.Host(host)) {
			if r, ok := e.(events.HostRegistered); ok {
				out = append(out, r)
			}
		}
		return out
	}
	waitFor(t, "host registered", func() error {
		if len(registered()) == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	r := registered()[0]
	if r.Addr != addr1 || r.Zone != "z1" || r.Labels["disk"] != "ssd" || r.CPUs <= 0 || r.MemoryBytes <= 0 ||
		r.PortMin != 20000 || r.PortMax != 29999 {
		t.Errorf("registered %+v", r)
	}

	kv, err := h.js.KeyValue(context.Background(), events.BucketHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	var first uint64
	waitFor(t, "heartbeats", func() error {
		e, err := kv.Get(context.Background(), host)
		if err != nil {
			return err
		}
		var hb events.Heartbeat
		if err := json.Unmarshal(e.Value(), &hb); err != nil {
			return err
		}
		if hb.Host != host || hb.Addr != addr1 || hb.Time.IsZero() {
			return fmt.Errorf("heartbeat %+v", hb)
		}
		if first == 0 {
			first = e.Revision()
		}
		if e.Revision() == first {
			return errors.New("not updated yet")
		}
		return nil
	})

	// Restarted unchanged: no new registration. Declared lost: registers
	// again while running.
	stop()
	h.startAgent(cfg)
	h.append(events.HostLost{Host: host, LastSeen: time.Now()})
	waitFor(t, "registration after host lost", func() error {
		evs := h.history(events.Host(host))
		if _, ok := evs[len(evs)-1].(events.HostRegistered); !ok || count[events.HostLost](evs) == 0 {
			return fmt.Errorf("history %v", evs)
		}
		return nil
	})
	if n := len(registered()); n != 2 {
		t.Errorf("%d registrations after a plain restart and a loss, want 2", n)
	}
}

func TestReregistersWhenConfigChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	cfg := h.config(host, addr1)
	stop := h.startAgent(cfg)
	waitFor(t, "host registered", func() error {
		if len(h.history(events.Host(host))) == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	stop()
	cfg.Labels = map[string]string{"gpu": "yes"}
	h.startAgent(cfg)
	waitFor(t, "registration with the new labels", func() error {
		evs := h.history(events.Host(host))
		last, ok := evs[len(evs)-1].(events.HostRegistered)
		if len(evs) != 2 || !ok || !maps.Equal(last.Labels, cfg.Labels) {
			return fmt.Errorf("history %v", evs)
		}
		return nil
	})
}

func TestRunsReportsAndStopsInstances(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	h.startAgent(h.config(host, addr1))

	other := h.schedule("web", "elsewhere", addr1, h.image)
	a := h.schedule("web", host, addr1, h.image)
	b := h.schedule("web", host, addr1, h.image)

	started := waitEvent[events.InstanceStarted](h, a)
	if started.Host != host || started.ContainerID == "" {
		t.Errorf("started %+v", started)
	}
	waitServes(t, a, addr1)
	waitEvent[events.InstanceStarted](h, b)
	waitServes(t, b, addr1)

	// The app exits by itself: reported with its code, not restarted.
	if _, err := get(net.JoinHostPort(addr1, fmt.Sprint(a.HostPort)), "/exit?code=3"); err != nil {
		t.Logf("exit request: %v", err) // the app may die before answering
	}
	exited := waitEvent[events.InstanceExited](h, a)
	if exited.ExitCode != 3 || exited.Error != "" {
		t.Errorf("exited %+v, want code 3", exited)
	}
	if c := h.container(host, a.Instance); c == nil || c.Running {
		t.Errorf("container after exit: %+v, want it left exited", c)
	}

	h.unschedule(a)
	waitEvent[events.InstanceStopped](h, a)
	h.waitGone(host, a.Instance)

	// A deliberate stop is a stop, not an exit.
	h.unschedule(b)
	waitEvent[events.InstanceStopped](h, b)
	h.waitGone(host, b.Instance)
	if n := count[events.InstanceExited](h.instanceEvents(b)); n != 0 {
		t.Errorf("stopped instance reported %d exits", n)
	}
	if n := count[events.InstanceStarted](h.instanceEvents(a)); n != 1 {
		t.Errorf("instance reported started %d times, want 1", n)
	}

	// The instance of another host was never touched.
	if evs := h.instanceEvents(other); len(evs) != 1 {
		t.Errorf("instance of another host has events %v", evs)
	}
	if _, err := h.cli.ContainerInspect(context.Background(), dockerrt.NamePrefix+other.Instance); err == nil {
		t.Error("a container runs the instance of another host")
	}
}

func TestReportsImageThatCannotRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	h.startAgent(h.config(host, addr1))

	image := "berth-missing-" + randHex(t, 4) + ":v1"
	s := h.schedule("broken", host, addr1, image)
	exited := waitEvent[events.InstanceExited](h, s)
	if exited.ExitCode != -1 || !strings.Contains(exited.Error, image) {
		t.Errorf("exited %+v, want code -1 and an error naming %s", exited, image)
	}
	h.unschedule(s)
	waitEvent[events.InstanceStopped](h, s)
	if evs := h.instanceEvents(s); count[events.InstanceExited](evs) != 1 || count[events.InstanceStarted](evs) != 0 {
		t.Errorf("history %v: want one exit and no start", evs)
	}
}

func TestReconcilesAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	cfg := h.config(host, addr1)
	stop := h.startAgent(cfg)

	keep := h.schedule("api", host, addr1, h.image)
	drop := h.schedule("api", host, addr1, h.image)
	killed := h.schedule("api", host, addr1, h.image)
	for _, s := range []events.InstanceScheduled{keep, drop, killed} {
		waitEvent[events.InstanceStarted](h, s)
	}
	stop()

	// While the agent is down: one unscheduled, one new, one container
	// killed, and a container no instance claims.
	h.unschedule(drop)
	added := h.schedule("api", host, addr1, h.image)
	if err := h.cli.ContainerKill(context.Background(), dockerrt.NamePrefix+killed.Instance, "KILL"); err != nil {
		t.Fatal(err)
	}
	orphan := dockerrt.ContainerSpec{App: "api", Instance: "api-" + randHex(t, 3), Host: host, Image: h.image,
		HostIP: addr1, HostPort: freePort(t, addr1)}
	if _, err := h.rt.Run(context.Background(), orphan); err != nil {
		t.Fatal(err)
	}

	h.startAgent(cfg)
	waitEvent[events.InstanceStopped](h, drop)
	h.waitGone(host, drop.Instance)
	waitEvent[events.InstanceStarted](h, added)
	waitServes(t, added, addr1)
	if e := waitEvent[events.InstanceExited](h, killed); e.ExitCode != 137 {
		t.Errorf("killed instance exited %+v, want code 137", e)
	}
	h.waitGone(host, orphan.Instance)
	waitServes(t, keep, addr1)
	if n := count[events.InstanceStarted](h.instanceEvents(keep)); n != 1 {
		t.Errorf("untouched instance reported started %d times, want 1", n)
	}
	if c := h.container(host, killed.Instance); c == nil || c.Running {
		t.Errorf("killed instance's container %+v: want it left exited", c)
	}
}

func TestTwoAgentsRunOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h1, h2 := h.newHost(), h.newHost()
	h.startAgent(h.config(h1, addr1))
	h.startAgent(h.config(h2, addr2))

	s1 := h.schedule("duo", h1, addr1, h.image)
	s2 := h.schedule("duo", h2, addr2, h.image)
	if e := waitEvent[events.InstanceStarted](h, s1); e.Host != h1 {
		t.Errorf("%s started on %s", s1.Instance, e.Host)
	}
	if e := waitEvent[events.InstanceStarted](h, s2); e.Host != h2 {
		t.Errorf("%s started on %s", s2.Instance, e.Host)
	}
	waitServes(t, s1, addr1)
	waitServes(t, s2, addr2)
	for host, want := range map[string]string{h1: s1.Instance, h2: s2.Instance} {
		cs, err := h.rt.List(context.Background(), host)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Instance != want {
			t.Errorf("host %s runs %+v, want only %s", host, cs, want)
		}
	}
}

func TestPublishesSamples(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	host := h.newHost()
	h.startAgent(h.config(host, addr1))

	sub, err := h.nc.SubscribeSync(events.InstanceMetricsSubject("busy"))
	if err != nil {
		t.Fatal(err)
	}
	s := h.schedule("busy", host, addr1, h.image)
	waitServes(t, s, addr1)

	// Keep the instance busy so its CPU reading is above zero.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			_, _ = get(net.JoinHostPort(addr1, fmt.Sprint(s.HostPort)), "/?burn=200")
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		msg, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			t.Fatalf("no busy sample of %s: %v", s.Instance, err)
		}
		var got events.InstanceSample
		if err := json.Unmarshal(msg.Data, &got); err != nil {
			t.Fatal(err)
		}
		if got.Instance != s.Instance || got.Host != host || got.App != "busy" || got.Time.IsZero() || got.MemBytes == 0 {
			t.Fatalf("sample %+v", got)
		}
		if got.CPUPercent > 0 {
			return
		}
	}
}
