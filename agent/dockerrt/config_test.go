package dockerrt

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

func validSpec() ContainerSpec {
	return ContainerSpec{App: "web", Instance: "web-3f2a1c", Host: "h1", Image: "berth-testapp:latest",
		HostIP: "127.0.0.2", HostPort: 20001}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := ContainerSpec{HostIP: "nope", HostPort: 70000, ContainerPort: -1, MemoryBytes: -1,
		Log: &SyslogLog{Address: "http://x", Format: "json", Fallback: "pigeon"}}
	err := s.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"app is required", "instance is required", "host is required",
		"image is required", `host IP "nope"`, "host port 70000", "container port -1", "negative",
		`address "http://x"`, `format "json"`, `fallback "pigeon"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestContainerConfig(t *testing.T) {
	s := validSpec()
	s.Env = map[string]string{"PORT": "1", "BERTH_APP": "spoofed", "GREETING": "hi"}
	s.MemoryBytes = 64 << 20
	s.NanoCPUs = 5e8
	s.Log = &SyslogLog{Address: "tcp://127.0.0.1:5514"}
	s.setDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, host := containerConfig(s, s.Log, false)

	wantEnv := []string{"BERTH_APP=web", "BERTH_INSTANCE=web-3f2a1c", "GREETING=hi", "HOST_IP=127.0.0.2", "PORT=8080"}
	if !slices.Equal(cfg.Env, wantEnv) {
		t.Errorf("env = %v, want %v", cfg.Env, wantEnv)
	}
	if cfg.Labels[LabelApp] != "web" || cfg.Labels[LabelInstance] != "web-3f2a1c" || cfg.Labels[LabelHost] != "h1" {
		t.Errorf("labels = %v", cfg.Labels)
	}
	if _, ok := cfg.Labels[LabelLogFallback]; ok {
		t.Errorf("fallback label on the primary config")
	}
	if got := host.PortBindings["8080/tcp"]; len(got) != 1 || got[0] != (nat.PortBinding{HostIP: "127.0.0.2", HostPort: "20001"}) {
		t.Errorf("port bindings = %v", host.PortBindings)
	}
	if host.RestartPolicy.Name != container.RestartPolicyDisabled {
		t.Errorf("restart policy = %q", host.RestartPolicy.Name)
	}
	if host.Memory != 64<<20 || host.MemorySwap != 64<<20 || host.NanoCPUs != 5e8 {
		t.Errorf("resources = %+v", host.Resources)
	}
	wantLog := map[string]string{"syslog-address": "tcp://127.0.0.1:5514", "syslog-format": "rfc5424micro",
		"tag": "web-3f2a1c", "mode": "non-blocking", "max-buffer-size": "1m"}
	if host.LogConfig.Type != "syslog" || len(host.LogConfig.Config) != len(wantLog) {
		t.Fatalf("log config = %+v", host.LogConfig)
	}
	for k, v := range wantLog {
		if host.LogConfig.Config[k] != v {
			t.Errorf("log opt %s = %q, want %q", k, host.LogConfig.Config[k], v)
		}
	}

	_, host = containerConfig(validSpec(), nil, false)
	if host.LogConfig.Type != "" || host.MemorySwap != 0 {
		t.Errorf("without log or limits: %+v %+v", host.LogConfig, host.Resources)
	}
}

func TestFallbackLog(t *testing.T) {
	tests := []struct {
		name     string
		in       *SyslogLog
		wantAddr string // "" = engine default
		wantOK   bool
	}{
		{"no syslog", nil, "", false},
		{"tcp to udp", &SyslogLog{Address: "tcp://127.0.0.1:5514", Fallback: FallbackUDP}, "udp://127.0.0.1:5514", true},
		{"tls to udp", &SyslogLog{Address: "tcp+tls://127.0.0.1:6514", Fallback: FallbackUDP}, "udp://127.0.0.1:6514", true},
		{"unix has no udp", &SyslogLog{Address: "unix:///dev/log", Fallback: FallbackUDP}, "", false},
		{"engine default", &SyslogLog{Address: "tcp://127.0.0.1:5514", Fallback: FallbackEngineDefault}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fallbackLog(tt.in)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			addr := ""
			if got != nil {
				addr = got.Address
			}
			if addr != tt.wantAddr {
				t.Fatalf("fallback address %q, want %q", addr, tt.wantAddr)
			}
		})
	}
}
