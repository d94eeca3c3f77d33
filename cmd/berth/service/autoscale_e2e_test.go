package service_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// A CPU load on the test image makes the app grow within seconds, and it
// shrinks back once the load ends; every decision is in the log with its
// reason.
func TestAutoscaleOnCPU(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 2, false)
	berth(t, d, "deploy", "busy", "--image", image, "--replicas", "1", "--wait", "--timeout", "2m")
	berth(t, d, "autoscale", "busy", "--min", "1", "--max", "3", "--cpu-high", "40", "--cpu-low", "10", "--cooldown", "3s")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := viaGateway(d, "busy", "/?burn=200")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	eventually(t, 60*time.Second, "scale out under CPU load", func() bool {
		return replicas(t, d, "busy") >= 2
	})
	stop()
	wg.Wait()
	eventually(t, 90*time.Second, "scale back in once the load ended", func() bool {
		return replicas(t, d, "busy") == 1
	})
	out := berth(t, d, "autoscale", "busy")
	if !strings.Contains(out, "cpu-high") || !strings.Contains(out, "low-load") {
		t.Fatalf("autoscale status lacks the decisions and their rules:\n%s", out)
	}
}

// replicas is the app's desired instance count, as `berth apps` shows it.
func replicas(t testing.TB, d *service.Dev, app string) int {
	var apps []struct {
		Name     string `json:"name"`
		Replicas int    `json:"replicas"`
	}
	if err := json.Unmarshal([]byte(berth(t, d, "apps", "-o", "json")), &apps); err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.Name == app {
			return a.Replicas
		}
	}
	return -1
}
