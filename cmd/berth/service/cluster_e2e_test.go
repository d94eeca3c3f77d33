package service_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/events/natstest"
)

// berth dev with two hosts on a 3-node NATS cluster with 3-replica
// streams: killing the event stream's leader, then the heartbeat bucket's,
// while clients GET through the gateway, fails no GET, declares no host
// lost, and a scale issued right after the first kill succeeds.
func TestClusterLeaderKillsAreNonEvents(t *testing.T) {
	image := testimage.EnsureT(t)
	c := natstest.StartCluster(t, 3)
	d := startDev(t, 2, false, func(cfg *service.DevConfig) {
		cfg.Server.NATSURL = c.URLs()
		cfg.Server.StreamReplicas = 3
	})
	heartbeats := "KV_" + events.BucketHeartbeats
	berth(t, d, "deploy", "web", "--image", image, "--replicas", "2", "--memory", "64m", "--wait", "--timeout", "2m")

	ctx, stopLoad := context.WithCancel(context.Background())
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := viaGateway(d, "web", "/")
				sent.Add(1)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					t.Logf("failed GET: %v %v", err, resp)
				}
				if resp != nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	leader := c.WaitStreamLeader(events.StreamName)
	c.Kill(leader)
	berth(t, d, "scale", "web", "3") // right after the kill: rides through the election
	c.Restart(leader)
	c.WaitStreamCurrent(events.StreamName)
	c.WaitStreamCurrent(heartbeats)
	eventually(t, 2*time.Minute, "three healthy instances", func() bool { return len(healthy(instances(t, d, "web"))) == 3 })

	leader = c.WaitStreamLeader(heartbeats)
	c.Kill(leader)
	c.WaitStreamLeader(heartbeats)
	c.Restart(leader)
	c.WaitStreamCurrent(heartbeats)

	// A sentinel host that never beats, registered now with no room for
	// anything: once it is declared lost, the real hosts would have been
	// too had the kills looked like their deaths.
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := events.AttachStore(context.Background(), js, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(context.Background(), events.Host("sentinel"), events.ExpectAny,
		[]events.Event{events.HostRegistered{Host: "sentinel", Addr: "127.0.0.9"}}, events.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	lostHosts := func() (lost []string) {
		ids := []string{}
		for _, h := range d.Hosts {
			id, _, _ := strings.Cut(h, "@")
			ids = append(ids, id)
		}
		for _, h := range append(ids, "sentinel") {
			recs, _, err := st.Load(context.Background(), events.Host(h), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if _, ok := r.Event.(events.HostLost); ok {
					lost = append(lost, h)
				}
			}
		}
		return lost
	}
	eventually(t, time.Minute, "the sentinel host lost", func() bool {
		l := lostHosts()
		return len(l) > 0 && l[len(l)-1] == "sentinel"
	})
	stopLoad()
	wg.Wait()
	if l := lostHosts(); len(l) != 1 {
		t.Errorf("hosts declared lost: %v, want only the sentinel", l)
	}
	if failed.Load() != 0 {
		t.Fatalf("%d of %d GETs through the gateway failed across the leader kills", failed.Load(), sent.Load())
	}
	t.Logf("%d GETs, none failed", sent.Load())
}

// Two of three nodes down: a command fails with the quorum error, /readyz
// is not ready, berth events exits non-zero, while reads from Postgres and
// the gateway keep serving; with the nodes back, commands succeed again
// and no host was declared lost.
func TestClusterQuorumLossFailsFastAndClearly(t *testing.T) {
	image := testimage.EnsureT(t)
	c := natstest.StartCluster(t, 3)
	d := startDev(t, 2, false, func(cfg *service.DevConfig) {
		cfg.Server.NATSURL = c.URLs()
		cfg.Server.StreamReplicas = 3
	})
	berth(t, d, "deploy", "web", "--image", image, "--replicas", "2", "--memory", "64m", "--wait", "--timeout", "2m")
	ready := func() int {
		resp, err := http.Get("http://" + d.APIAddr.String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("readyz %d with every node up", code)
	}

	c.Kill(1)
	c.Kill(2)
	out, code := berthCode(t, d, "scale", "web", "1")
	if code == 0 || (!strings.Contains(out, "event store unavailable (no quorum): try again") && !strings.Contains(out, "did not confirm the write")) {
		t.Fatalf("scale without quorum: exit %d: %s", code, out)
	}
	eventually(t, time.Minute, "readyz not ready without quorum", func() bool { return ready() == http.StatusServiceUnavailable })
	if out, code := berthCode(t, d, "events"); code == 0 {
		t.Fatalf("berth events without quorum: exit 0: %s", out)
	}
	if got := len(instances(t, d, "web")); got != 2 {
		t.Fatalf("read from Postgres without quorum: %d instances, want 2", got)
	}
	for range 20 {
		resp, err := viaGateway(d, "web", "/")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET through the gateway without quorum: %v %v", err, resp)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	c.Restart(1)
	c.Restart(2)
	c.WaitStreamCurrent(events.StreamName)
	eventually(t, time.Minute, "scale succeeds with quorum back", func() bool {
		_, code := berthCode(t, d, "scale", "web", "1")
		return code == 0
	})
	eventually(t, 2*time.Minute, "scaled down to one instance", func() bool { return len(instances(t, d, "web")) == 1 })
	eventually(t, time.Minute, "readyz ready again", func() bool { return ready() == http.StatusOK })
	if out := berth(t, d, "hosts"); strings.Contains(out, "lost") {
		t.Fatalf("a host declared lost across the quorum loss:\n%s", out)
	}
}
