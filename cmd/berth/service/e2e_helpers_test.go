package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/cmd/berth/cli"
	"github.com/berth-dev/berth/cmd/berth/e2etest"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// startDev runs the single-machine preset on random ports with hosts whose
// ids and port ranges no other test uses; with syslog, each host runs its
// log relay. opts adjust the config last.
func startDev(t testing.TB, hosts int, syslog bool, opts ...func(*service.DevConfig)) *service.Dev {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := service.DevConfig{
		Server: service.ServerConfig{
			API: "127.0.0.1:0", NATSListen: "127.0.0.1:0", DataDir: t.TempDir(),
			GatewayListen: "127.0.0.1:0", GatewayAdmin: "127.0.0.1:0",
		},
		Hosts:      hosts,
		HostPrefix: fmt.Sprintf("e2e%04x-", rand.IntN(1<<16)),
		PortBase:   30000 + rand.IntN(20)*1000,
	}
	if syslog {
		cfg.LogRelayPort = "0" // each host its own relay, on a free port
	}
	for _, o := range opts {
		o(&cfg)
	}
	d, err := service.StartDev(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		d.Close()
		e2etest.RemoveContainers(t, cfg.HostPrefix)
	})
	return d
}

var eventually = e2etest.Eventually

// berth runs the CLI against d and returns stdout; a non-zero exit fails.
func berth(t testing.TB, d *service.Dev, args ...string) string {
	t.Helper()
	out, code := berthCode(t, d, args...)
	if code != 0 {
		t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

func berthCode(t testing.TB, d *service.Dev, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	all := append([]string{"--api", "http://" + d.APIAddr.String()}, args...)
	code := cli.Main(context.Background(), all, &stdout, &stderr)
	return stdout.String() + stderr.String(), code
}

type instance struct {
	ID       string `json:"id"`
	Version  int    `json:"version"`
	State    string `json:"state"`
	Host     string `json:"host"`
	HostAddr string `json:"host_addr"`
	HostPort int    `json:"host_port"`
}

func instances(t testing.TB, d *service.Dev, app string) []instance {
	t.Helper()
	var out []instance
	raw := berth(t, d, "ps", app, "-o", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		var wrapped struct {
			Instances []instance `json:"instances"`
		}
		if err2 := json.Unmarshal([]byte(raw), &wrapped); err2 != nil {
			t.Fatalf("ps output %q: %v", raw, err)
		}
		out = wrapped.Instances
	}
	return out
}

func healthy(insts []instance) []instance {
	var h []instance
	for _, i := range insts {
		if i.State == "healthy" {
			h = append(h, i)
		}
	}
	return h
}

// viaGateway GETs path on app through the gateway.
func viaGateway(d *service.Dev, app, path string) (*http.Response, error) {
	req, _ := http.NewRequest("GET", "http://"+d.GatewayAddr.String()+path, nil)
	req.Host = app + ".localhost"
	return http.DefaultClient.Do(req)
}
