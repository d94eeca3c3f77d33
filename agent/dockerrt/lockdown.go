package dockerrt

import (
	"slices"

	"github.com/docker/docker/api/types/container"
)

// lockDown applies the defaults every container runs with and the app's
// opt-ins: no privilege escalation through setuid binaries, Docker's
// default seccomp profile (left in place: no seccomp option is set),
// NET_RAW dropped unless the app was allowed it back, a pids limit, and
// never privileged mode, host mounts or the host network.
func lockDown(s ContainerSpec, cfg *container.Config, host *container.HostConfig) {
	host.SecurityOpt = []string{"no-new-privileges:true"}
	host.Privileged = false
	host.CapAdd = slices.Clone(s.CapAdd)
	for _, c := range droppedCaps {
		if !slices.Contains(s.CapAdd, c) {
			host.CapDrop = append(host.CapDrop, c)
		}
	}
	pids := s.PidsLimit
	host.Resources.PidsLimit = &pids
	if s.ReadOnly {
		host.ReadonlyRootfs = true
		host.Tmpfs = map[string]string{"/tmp": "rw,nosuid,nodev,size=" + TmpfsSize}
	}
	cfg.User = s.User
}
