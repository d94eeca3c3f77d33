package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/client"

	"github.com/berth-dev/berth/agent/dockerrt"
	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// Deployed through the whole platform, containers run locked down (docker
// inspect shows every default and opt-in), and one app can't take
// another's hostname.
func TestHardenedContainersAndDomains(t *testing.T) {
	image := testimage.EnsureT(t)
	d := startDev(t, 1, false, func(c *service.DevConfig) {
		c.Server.Limits.CapAddAllow = []string{"NET_RAW"}
	})
	berth(t, d, "deploy", "plain", "--image", image, "--wait", "--timeout", "2m")
	berth(t, d, "deploy", "locked", "--image", image, "--read-only", "--user", "1000:1000",
		"--cap-add", "NET_RAW", "--wait", "--timeout", "2m")
	if out, code := berthCode(t, d, "deploy", "rogue", "--image", image, "--cap-add", "SYS_ADMIN"); code == 0 || !strings.Contains(out, "allow-list") {
		t.Fatalf("deploy with a capability not allowed: exit %d: %s", code, out)
	}

	docker, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	inspect := func(app string) (cfgUser string, h hostCfg) {
		t.Helper()
		insts := healthy(instances(t, d, app))
		if len(insts) != 1 {
			t.Fatalf("%s: %d healthy instances", app, len(insts))
		}
		c, err := docker.ContainerInspect(context.Background(), dockerrt.NamePrefix+insts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		hc := c.HostConfig
		return c.Config.User, hostCfg{hc.SecurityOpt, hc.CapAdd, hc.CapDrop, hc.PidsLimit, hc.Memory, hc.ReadonlyRootfs, hc.Tmpfs, hc.Privileged, len(hc.Binds) + len(hc.Mounts), hc.NetworkMode.IsHost()}
	}
	_, plain := inspect("plain")
	if !slices.Contains(plain.secOpt, "no-new-privileges:true") || !hasCap(plain.capDrop, "NET_RAW") ||
		plain.pids == nil || *plain.pids != dockerrt.DefaultPidsLimit || plain.memory != 512<<20 ||
		plain.readOnly || plain.privileged || plain.mounts != 0 || plain.hostNet {
		t.Errorf("plain app's container: %+v", plain)
	}
	user, locked := inspect("locked")
	if user != "1000:1000" || !locked.readOnly || locked.tmpfs["/tmp"] == "" || !hasCap(locked.capAdd, "NET_RAW") ||
		!slices.Contains(locked.secOpt, "no-new-privileges:true") || locked.memory != 512<<20 {
		t.Errorf("locked app's container: user %q %+v", user, locked)
	}

	// The audit's domain takeover, through the CLI.
	if out, code := berthCode(t, d, "domains", "locked", "plain.localhost"); code == 0 || !strings.Contains(out, "belongs to app plain") {
		t.Fatalf("taking another app's name: exit %d: %s", code, out)
	}
	berth(t, d, "domains", "plain", "www.example.test")
	if out, code := berthCode(t, d, "domains", "locked", "www.example.test"); code == 0 || !strings.Contains(out, "belongs to app plain") {
		t.Fatalf("taking another app's domain: exit %d: %s", code, out)
	}
}

type hostCfg struct {
	secOpt, capAdd, capDrop []string
	pids                    *int64
	memory                  int64
	readOnly                bool
	tmpfs                   map[string]string
	privileged              bool
	mounts                  int
	hostNet                 bool
}

func hasCap(caps []string, c string) bool {
	return slices.Contains(caps, c) || slices.Contains(caps, "CAP_"+c)
}
