package dockerrt

import (
	"maps"
	"net/url"
	"slices"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

// containerConfig turns a defaulted, valid spec into Docker's create request.
// log is the syslog setting to use (nil leaves the engine's default driver);
// fellBack marks it as the fallback for an unreachable receiver.
func containerConfig(s ContainerSpec, log *SyslogLog, fellBack bool) (*container.Config, *container.HostConfig) {
	port := nat.Port(strconv.Itoa(s.ContainerPort) + "/tcp")
	labels := map[string]string{LabelApp: s.App, LabelInstance: s.Instance, LabelHost: s.Host}
	if fellBack {
		labels[LabelLogFallback] = fallbackTarget(log)
	}
	cfg := &container.Config{
		Image:        s.Image,
		Env:          envList(s),
		Labels:       labels,
		ExposedPorts: nat.PortSet{port: struct{}{}},
	}
	host := &container.HostConfig{
		PortBindings:  nat.PortMap{port: {{HostIP: s.HostIP, HostPort: strconv.Itoa(s.HostPort)}}},
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		Resources: container.Resources{
			Memory:   s.MemoryBytes,
			NanoCPUs: s.NanoCPUs,
		},
	}
	lockDown(s, cfg, host)
	if s.MemoryBytes > 0 {
		// Equal to Memory: no swap, so a limit means an OOM kill rather than thrashing.
		host.Resources.MemorySwap = s.MemoryBytes
	}
	if log != nil {
		host.LogConfig = container.LogConfig{Type: "syslog", Config: map[string]string{
			"syslog-address":  log.Address,
			"syslog-format":   log.Format,
			"tag":             log.Tag,
			"mode":            string(container.LogModeNonBlock),
			"max-buffer-size": log.MaxBufferSize,
		}}
	}
	return cfg, host
}

// envList is the spec's env plus Berth's own variables, which win, sorted for stable configs.
func envList(s ContainerSpec) []string {
	env := maps.Clone(s.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["BERTH_APP"] = s.App
	env["BERTH_INSTANCE"] = s.Instance
	env["HOST_IP"] = s.HostIP
	env["PORT"] = strconv.Itoa(s.ContainerPort)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// fallbackLog is the log setting to retry with after the syslog receiver was
// unreachable at start, or false if there is nothing else to try.
func fallbackLog(l *SyslogLog) (*SyslogLog, bool) {
	if l == nil {
		return nil, false
	}
	u, err := url.Parse(l.Address)
	if err != nil {
		return nil, false
	}
	switch l.Fallback {
	case FallbackEngineDefault:
		return nil, true
	case FallbackUDP:
		if u.Scheme != "tcp" && u.Scheme != "tcp+tls" {
			return nil, false
		}
		udp := *l
		udp.Address = (&url.URL{Scheme: "udp", Host: u.Host}).String()
		return &udp, true
	}
	return nil, false
}

func fallbackTarget(l *SyslogLog) string {
	if l == nil {
		return string(FallbackEngineDefault)
	}
	return l.Address
}
