package dockerrt

import (
	"context"
	"slices"
	"testing"
)

// The audit's finding: containers ran with Docker's defaults (NET_RAW,
// no no-new-privileges, no pids limit, writable root). docker inspect of
// started containers shows every hardening default and opt-in.
func TestContainersRunLockedDown(t *testing.T) {
	t.Parallel()
	rt, cli := newTestRuntime(t)
	ctx := context.Background()

	plain := testSpec(t)
	plain.MemoryBytes = 512 << 20
	id := run(t, rt, plain)
	waitServing(t, plain)
	c, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	h := c.HostConfig
	if !slices.Contains(h.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("SecurityOpt %v: want no-new-privileges", h.SecurityOpt)
	}
	for _, o := range h.SecurityOpt {
		if o == "seccomp=unconfined" || o == "seccomp:unconfined" {
			t.Errorf("seccomp disabled: %v", h.SecurityOpt)
		}
	}
	if !hasCap(h.CapDrop, "NET_RAW") || len(h.CapAdd) != 0 {
		t.Errorf("CapDrop %v CapAdd %v: want NET_RAW dropped, nothing added", h.CapDrop, h.CapAdd)
	}
	if h.PidsLimit == nil || *h.PidsLimit != DefaultPidsLimit {
		t.Errorf("PidsLimit %v, want %d", h.PidsLimit, DefaultPidsLimit)
	}
	if h.Memory != 512<<20 {
		t.Errorf("Memory %d", h.Memory)
	}
	if h.Privileged || h.ReadonlyRootfs || len(h.Binds) != 0 || len(h.Mounts) != 0 || h.NetworkMode.IsHost() || h.PidMode.IsHost() {
		t.Errorf("privileged %v, read-only %v, binds %v, mounts %v, network %q, pid %q", h.Privileged, h.ReadonlyRootfs, h.Binds, h.Mounts, h.NetworkMode, h.PidMode)
	}

	// The opt-ins: read-only root with a tmpfs /tmp, another user, a
	// capability added back.
	locked := testSpec(t)
	locked.ReadOnly, locked.User, locked.CapAdd = true, "1000:1000", []string{"NET_RAW"}
	id = run(t, rt, locked)
	waitServing(t, locked)
	c, err = cli.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	h = c.HostConfig
	if !h.ReadonlyRootfs || h.Tmpfs["/tmp"] == "" {
		t.Errorf("read-only %v, tmpfs %v", h.ReadonlyRootfs, h.Tmpfs)
	}
	if c.Config.User != "1000:1000" {
		t.Errorf("user %q", c.Config.User)
	}
	if !hasCap(h.CapAdd, "NET_RAW") || hasCap(h.CapDrop, "NET_RAW") {
		t.Errorf("CapAdd %v CapDrop %v: want NET_RAW added back", h.CapAdd, h.CapDrop)
	}
	if !slices.Contains(h.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("opt-ins lost no-new-privileges: %v", h.SecurityOpt)
	}
}

// hasCap: the engine reports capabilities with or without CAP_.
func hasCap(caps []string, c string) bool {
	return slices.Contains(caps, c) || slices.Contains(caps, "CAP_"+c)
}
