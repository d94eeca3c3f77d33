package agent

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{HostID: "h1", Addr: "127.0.0.2"}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults don't validate: %v", err)
	}
	if c.CPUs <= 0 || c.MemoryBytes <= 0 || c.PortMin != 20000 || c.PortMax != 29999 ||
		c.HeartbeatInterval != 2*time.Second || c.StatsInterval != 2*time.Second || c.StopTimeout != 10*time.Second {
		t.Errorf("defaults %+v", c)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c := Config{HostID: "h.1", Addr: "localhost", CPUs: -1, MemoryBytes: 1, PortMin: 30000, PortMax: 20000,
		SyslogAddr: "http://x", HeartbeatInterval: -1, StatsInterval: 1, StopTimeout: 1, Concurrency: 1}
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"host id", "addr", "cpus", "port range", "syslog", "heartbeat interval"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q doesn't mention %s", err, want)
		}
	}
}
