package health

import (
	"net"
	"strconv"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/workers/clusterview"
)

// Target is one instance to probe and how. Comparable: a prober whose
// target changed (a redeploy changed the health path) is restarted.
type Target struct {
	App       string
	Instance  string
	Addr      string // host_addr:host_port
	Path      string
	Interval  time.Duration
	Timeout   time.Duration
	Threshold int
}

// Key names the instance: "<app>.<instance>".
func (t Target) Key() string { return t.App + "." + t.Instance }

// URL is what the probe GETs.
func (t Target) URL() string { return "http://" + t.Addr + t.Path }

// Check names the probe in reasons: "GET /_ping".
func (t Target) Check() string { return "GET " + t.Path }

// Targets lists the instances to probe: started (running or healthy)
// instances with an address, on hosts not lost. Instances on a lost host
// are the scheduler's to replace; probing them only adds noise.
func Targets(v *clusterview.View) map[string]Target {
	out := map[string]Target{}
	for name, app := range v.Apps {
		for id, inst := range app.Instances {
			if inst.State != appstate.StateRunning && inst.State != appstate.StateHealthy {
				continue
			}
			if inst.HostAddr == "" || inst.HostPort == 0 {
				continue
			}
			if h, ok := v.Hosts[inst.Host]; ok && h.Lost {
				continue
			}
			// Each instance is probed as its own release asks, never as
			// the newest one does: a bad release's health path must not
			// fail the good release's instances.
			spec := app.ReleaseSpec(inst.Version)
			t := Target{
				App:       name,
				Instance:  id,
				Addr:      net.JoinHostPort(inst.HostAddr, strconv.Itoa(inst.HostPort)),
				Path:      spec.HealthPath,
				Interval:  msOr(spec.HealthIntervalMS, commands.DefaultHealthInterval),
				Timeout:   msOr(spec.HealthTimeoutMS, commands.DefaultHealthTimeout),
				Threshold: spec.HealthThreshold,
			}
			if t.Path == "" {
				t.Path = commands.DefaultHealthPath
			}
			if t.Threshold <= 0 {
				t.Threshold = commands.DefaultHealthThreshold
			}
			out[t.Key()] = t
		}
	}
	return out
}

func msOr(ms int64, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(ms) * time.Millisecond
}
