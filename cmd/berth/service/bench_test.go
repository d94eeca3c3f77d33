package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// waitOK polls GET url (with Host host if set) until it answers 200.
func waitOK(b *testing.B, url, host string, within time.Duration) {
	deadline := time.Now().Add(within)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", url, nil)
		if host != "" {
			req.Host = host
		}
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("%s (Host %s) not answering within %s", url, host, within)
}

// BenchmarkDeployLatency: `berth deploy APP --replicas 1` until the app
// answers through the gateway, against `docker run` of the same image
// until its first successful HTTP answer, in the same run.
func BenchmarkDeployLatency(b *testing.B) {
	image := testimage.EnsureT(b)
	d := startDev(b, 1, false)
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		b.Fatal(err)
	}
	defer docker.Close()
	ctx := context.Background()
	var berthT, dockerT []time.Duration
	for i := 0; i < b.N; i++ {
		app := fmt.Sprintf("lat%d", i)
		start := time.Now()
		if code := berthCodeOnly(b, d, "deploy", app, "--image", image, "--replicas", "1"); code != 0 {
			b.Fatalf("deploy exit %d", code)
		}
		waitOK(b, "http://"+d.GatewayAddr.String()+"/", app+".localhost", 60*time.Second)
		berthT = append(berthT, time.Since(start))
		berthCodeOnly(b, d, "stop", app)

		port := freeLoopbackPort(b)
		start = time.Now()
		cfg := &container.Config{Image: image, Env: []string{"PORT=8080"}, ExposedPorts: nat.PortSet{"8080/tcp": {}}}
		hc := &container.HostConfig{PortBindings: nat.PortMap{"8080/tcp": {{HostIP: "127.0.0.1", HostPort: fmt.Sprint(port)}}}, AutoRemove: false}
		created, err := docker.ContainerCreate(ctx, cfg, hc, nil, nil, fmt.Sprintf("bench-docker-run-%d-%d", time.Now().UnixNano(), i))
		if err != nil {
			b.Fatal(err)
		}
		if err := docker.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
			b.Fatal(err)
		}
		waitOK(b, fmt.Sprintf("http://127.0.0.1:%d/", port), "", 60*time.Second)
		dockerT = append(dockerT, time.Since(start))
		_ = docker.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true})
	}
	b.ReportMetric(float64(percentile(berthT, 0.5).Milliseconds()), "berth-p50-ms")
	b.ReportMetric(float64(percentile(dockerT, 0.5).Milliseconds()), "docker-run-p50-ms")
	b.ReportMetric(float64((percentile(berthT, 0.5) - percentile(dockerT, 0.5)).Milliseconds()), "added-p50-ms")
}

// BenchmarkFailover: `docker kill` of an instance until a replacement is
// healthy and registered (the app has 2 replicas; the gateway reaches the
// new one).
func BenchmarkFailover(b *testing.B) {
	image := testimage.EnsureT(b)
	d := startDev(b, 2, false)
	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		b.Fatal(err)
	}
	defer docker.Close()
	if code := berthCodeOnly(b, d, "deploy", "fo", "--image", image, "--replicas", "2", "--wait", "--timeout", "2m"); code != 0 {
		b.Fatalf("deploy exit %d", code)
	}
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		before := healthyIDs(b, d, "fo")
		start := time.Now()
		if err := docker.ContainerKill(context.Background(), "berth-"+before[0], "KILL"); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			now := healthyIDs(b, d, "fo")
			if len(now) == 2 && !slices.Contains(now, before[0]) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("no replacement within 60s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		times = append(times, time.Since(start))
	}
	b.ReportMetric(float64(percentile(times, 0.5).Milliseconds()), "replace-p50-ms")
	b.ReportMetric(float64(percentile(times, 1).Milliseconds()), "replace-max-ms")
}

func healthyIDs(b *testing.B, d *service.Dev, app string) []string {
	var ids []string
	for _, i := range healthy(instances(b, d, app)) {
		ids = append(ids, i.ID)
	}
	return ids
}

func berthCodeOnly(b *testing.B, d *service.Dev, args ...string) int {
	_, code := berthCode(b, d, args...)
	return code
}

// BenchmarkLogToSearchable: from a container writing a line (through
// Docker's syslog driver) until `GET /v1/apps/{app}/logs?q=` finds it.
func BenchmarkLogToSearchable(b *testing.B) {
	image := testimage.EnsureT(b)
	d := startDev(b, 1, true)
	if code := berthCodeOnly(b, d, "deploy", "lg", "--image", image, "--wait", "--timeout", "2m"); code != 0 {
		b.Fatalf("deploy exit %d", code)
	}
	var times []time.Duration
	c := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < b.N; i++ {
		line := fmt.Sprintf("latency-probe-%d-%d", time.Now().UnixNano(), i)
		start := time.Now()
		resp, err := viaGateway(d, "lg", "/log?line="+line)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		deadline := start.Add(30 * time.Second)
		for {
			resp, err := c.Get(fmt.Sprintf("http://%s/v1/apps/lg/logs?q=%s&limit=1", d.APIAddr, line))
			if err == nil {
				var res struct{ Records []any }
				_ = json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				if len(res.Records) > 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				b.Fatalf("line %s not searchable within 30s", line)
			}
			time.Sleep(10 * time.Millisecond)
		}
		times = append(times, time.Since(start))
	}
	b.ReportMetric(float64(percentile(times, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(times, 0.99).Milliseconds()), "p99-ms")
}

// BenchmarkAutoscaleReaction: from the start of a CPU load until the
// scale-out is decided, and until the new instance takes traffic through
// the gateway. Agents sample CPU every 5s, the autoscaler needs 3 one-second
// evaluations above the mark: expect up to ~8s to the decision.
func BenchmarkAutoscaleReaction(b *testing.B) {
	image := testimage.EnsureT(b)
	d := startDev(b, 2, false)
	var toEvent, toTraffic []time.Duration
	for i := 0; i < b.N; i++ {
		app := fmt.Sprintf("as%d", i)
		if code := berthCodeOnly(b, d, "deploy", app, "--image", image, "--wait", "--timeout", "2m"); code != 0 {
			b.Fatalf("deploy exit %d", code)
		}
		if code := berthCodeOnly(b, d, "autoscale", app, "--min", "1", "--max", "2", "--cpu-high", "40", "--cpu-low", "5"); code != 0 {
			b.Fatalf("autoscale exit %d", code)
		}
		ctx, stop := context.WithCancel(context.Background())
		start := time.Now()
		seen := make(chan string, 1024)
		for c := 0; c < 6; c++ {
			go func() {
				for ctx.Err() == nil {
					resp, err := viaGateway(d, app, "/?burn=200")
					if err == nil {
						var body struct{ Instance string }
						_ = json.NewDecoder(resp.Body).Decode(&body)
						resp.Body.Close()
						select {
						case seen <- body.Instance:
						default:
						}
					}
				}
			}()
		}
		first := ""
		deadline := start.Add(90 * time.Second)
		var decided time.Duration
		for {
			if decided == 0 && replicas(b, d, app) >= 2 {
				decided = time.Since(start)
			}
			select {
			case inst := <-seen:
				if first == "" {
					first = inst
				} else if inst != "" && inst != first && decided > 0 {
					toEvent = append(toEvent, decided)
					toTraffic = append(toTraffic, time.Since(start))
					stop()
					goto next
				}
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				stop()
				b.Fatal("no scale-out taking traffic within 90s")
			}
		}
	next:
		berthCodeOnly(b, d, "stop", app)
	}
	b.ReportMetric(float64(percentile(toEvent, 0.5).Milliseconds()), "to-scale-event-ms")
	b.ReportMetric(float64(percentile(toTraffic, 0.5).Milliseconds()), "to-new-instance-traffic-ms")
}

func freeLoopbackPort(b *testing.B) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
