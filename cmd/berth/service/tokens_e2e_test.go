package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/agent/testimage"
	"github.com/berth-dev/berth/cmd/berth/cli"
	"github.com/berth-dev/berth/cmd/berth/service"
)

// Tokens end to end with the CLI: the bootstrap admin mints role tokens,
// each is held to its role, every command's events name their token, and
// a revoked token stops working.
func TestTokensRolesAndAuditWithTheCLI(t *testing.T) {
	t.Setenv("BERTH_CONFIG", filepath.Join(t.TempDir(), "none")) // no token from a real config
	image := testimage.EnsureT(t)
	const boot = "bootstrap-e2e-secret"
	d := startDev(t, 1, false, func(c *service.DevConfig) { c.Server.Token = boot })
	as := func(token string, args ...string) (string, int) {
		return berthCode(t, d, append([]string{"--token", token}, args...)...)
	}
	mint := func(name, role string) string {
		out, code := as(boot, "tokens", "create", name, "--role", role, "-o", "json")
		var created struct{ Name, Token string }
		if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created.Token == "" {
			t.Fatalf("tokens create %s: %d %s", name, code, out)
		}
		return created.Token
	}
	viewer, deployer := mint("viewer-1", "viewer"), mint("ci", "deployer")

	if out, code := berthCode(t, d, "apps"); code == 0 || !strings.Contains(out, "missing bearer token") {
		t.Fatalf("no token: %d %s", code, out)
	}
	if out, code := as(viewer, "apps"); code != 0 {
		t.Fatalf("viewer apps: %d %s", code, out)
	}
	if out, code := as(viewer, "deploy", "web", "--image", image); code == 0 || !strings.Contains(out, "lacks the deploy capability") {
		t.Fatalf("viewer deploy: %d %s", code, out)
	}
	if out, code := as(deployer, "deploy", "web", "--image", image, "--replicas", "1"); code != 0 {
		t.Fatalf("deployer deploy: %d %s", code, out)
	}
	if out, code := as(deployer, "logs", "web"); code == 0 || !strings.Contains(out, "read-logs") {
		t.Fatalf("deployer reads logs: %d %s", code, out)
	}
	if out, code := as(deployer, "tokens", "list"); code == 0 {
		t.Fatalf("deployer lists tokens: %s", out)
	}

	out, code := as(boot, "audit", "--actor", "ci", "-o", "json")
	var entries []struct{ Actor, Type, Subject string }
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) == 0 ||
		entries[0].Type != "dev.berth.app.deployed" || entries[0].Subject != "web" {
		t.Fatalf("audit --actor ci: %d %s", code, out)
	}
	list, _ := as(boot, "tokens", "list")
	if strings.Contains(list, viewer) || !strings.Contains(list, "viewer-1") {
		t.Fatalf("tokens list: %s", list)
	}

	// A token of project a: the default project's app is not its to see
	// or touch, and it deploys only into a.
	out, code = as(boot, "tokens", "create", "team-a", "--role", "deployer", "--project", "a", "-o", "json")
	var teamA struct{ Token string }
	if code != 0 || json.Unmarshal([]byte(out), &teamA) != nil {
		t.Fatalf("create team-a: %d %s", code, out)
	}
	if out, code := as(teamA.Token, "apps"); code != 0 || strings.Contains(out, "web") {
		t.Fatalf("team-a apps: %d %s", code, out)
	}
	if out, code := as(teamA.Token, "scale", "web", "2"); code == 0 || !strings.Contains(out, "project default") {
		t.Fatalf("team-a scales web: %d %s", code, out)
	}
	if out, code := as(teamA.Token, "deploy", "web-a", "--image", image, "--replicas", "0", "--project", "a"); code != 0 {
		t.Fatalf("team-a deploys into a: %d %s", code, out)
	}
	eventually(t, 30*time.Second, "team-a sees its app", func() bool {
		out, _ := as(teamA.Token, "apps")
		return strings.Contains(out, "web-a")
	})

	if out, code := as(boot, "tokens", "revoke", "viewer-1"); code != 0 {
		t.Fatalf("revoke: %d %s", code, out)
	}
	eventually(t, 5*time.Second, "revoked token refused", func() bool {
		out, code := as(viewer, "apps")
		return code != 0 && strings.Contains(out, "revoked")
	})
}

// The first five minutes: berth dev makes an admin token and writes the
// CLI's config (0600), and the CLI, given neither --api nor --token,
// reaches the closed API with it.
func TestDevWritesTheCLIConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home", ".config", "berth", "config")
	t.Setenv("BERTH_CONFIG", path)
	t.Setenv("BERTH_API", "")
	t.Setenv("BERTH_TOKEN", "")
	d := startDev(t, 0, false, func(c *service.DevConfig) { c.ClientConfig = path })
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("client config: %v %v", st, err)
	}
	run := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := cli.Main(context.Background(), args, &out, &out)
		return out.String(), code
	}
	// The CLI's default API is :7070; the config points at this server.
	if out, code := run("tokens", "list"); code != 0 {
		t.Fatalf("tokens list with the config: %d %s", code, out)
	}
	if out, code := run("--api", "http://"+d.APIAddr.String(), "--token", "", "apps"); code == 0 || !strings.Contains(out, "missing bearer token") {
		t.Fatalf("the API is open without the config's token: %d %s", code, out)
	}
}
