package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/berth-dev/berth/agent/testimage"
)

// The whole platform on one machine with three hosts and the real Docker
// engine: deploy, spread, route, self-heal with no failed GET, scale down.
func TestDeployRouteHealScale(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 3, false)

	out := berth(t, d, "deploy", "web", "--image", image, "--replicas", "3", "--memory", "64m", "--wait", "--timeout", "2m")
	t.Log(out)
	insts := healthy(instances(t, d, "web"))
	if len(insts) != 3 {
		t.Fatalf("after deploy --wait: %d healthy instances, want 3: %+v", len(insts), insts)
	}
	hosts := map[string]bool{}
	for _, i := range insts {
		hosts[i.Host] = true
		if i.HostAddr == "" || i.HostPort == 0 {
			t.Fatalf("instance without address: %+v", i)
		}
	}
	if len(hosts) != 3 {
		t.Fatalf("instances on %d hosts, want spread over 3: %+v", len(hosts), insts)
	}

	// The gateway spreads requests over every healthy instance.
	eventually(t, 10*time.Second, "gateway reaches all three instances", func() bool {
		seen := map[string]bool{}
		for n := 0; n < 12; n++ {
			resp, err := viaGateway(d, "web", "/")
			if err != nil {
				return false
			}
			var body struct{ Instance string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			seen[body.Instance] = true
		}
		return len(seen) == 3
	})

	// Kill one container while clients keep sending GETs through the gateway.
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	victim := insts[0]
	ctx, stopLoad := context.WithCancel(context.Background())
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := viaGateway(d, "web", "/")
				sent.Add(1)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					if resp != nil {
						b, _ := io.ReadAll(resp.Body)
						t.Logf("failed GET: %d %s", resp.StatusCode, b)
					} else {
						t.Logf("failed GET: %v", err)
					}
				}
				if resp != nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	if err := docker.ContainerKill(context.Background(), "berth-"+victim.ID, "KILL"); err != nil {
		t.Fatalf("docker kill: %v", err)
	}
	eventually(t, 60*time.Second, "a healthy replacement for the killed instance", func() bool {
		h := healthy(instances(t, d, "web"))
		if len(h) != 3 {
			return false
		}
		for _, i := range h {
			if i.ID == victim.ID {
				return false
			}
		}
		return true
	})
	stopLoad()
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d GETs through the gateway failed while an instance was killed", failed.Load(), sent.Load())
	}
	t.Logf("failover: %d GETs, none failed", sent.Load())

	// Scale down removes instances and their containers.
	berth(t, d, "scale", "web", "1")
	eventually(t, 60*time.Second, "scaled down to one instance", func() bool {
		return len(instances(t, d, "web")) == 1
	})
	eventually(t, 30*time.Second, "only one web container left", func() bool {
		list, err := docker.ContainerList(context.Background(), container.ListOptions{All: true})
		if err != nil {
			return false
		}
		n := 0
		for _, c := range list {
			if c.Labels["berth.app"] == "web" && hosts[c.Labels["berth.host"]] {
				n++
			}
		}
		return n == 1
	})

	// A custom domain reaches the app; a denied client gets 403.
	berth(t, d, "domains", "web", "www.example.test")
	eventually(t, 10*time.Second, "custom domain routed", func() bool {
		req, _ := http.NewRequest("GET", "http://"+d.GatewayAddr.String()+"/", nil)
		req.Host = "www.example.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	berth(t, d, "deny", "web", "127.0.0.0/8")
	eventually(t, 10*time.Second, "denied client refused", func() bool {
		resp, err := viaGateway(d, "web", "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 403
	})
	berth(t, d, "deny", "web")
	if resp, err := viaGateway(d, "nosuchapp", "/"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("unknown host: %v %v, want 404", resp, err)
	}

	// Stop leaves nothing running and the app known but stopped.
	berth(t, d, "stop", "web")
	eventually(t, 30*time.Second, "no instances after stop", func() bool {
		return len(instances(t, d, "web")) == 0
	})
	if got := berth(t, d, "apps"); !containsAll(got, "web", "stopped") {
		t.Fatalf("apps after stop:\n%s", got)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
