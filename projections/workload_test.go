package projections

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/berth-dev/berth/events"
)

// workload is a random but reproducible history over three apps and a
// pool of instances, including facts that arrive in odd orders (a start
// after a stop), which the projection must treat like the command side.
func workload(seed uint64, n int) []events.Event {
	rng := rand.New(rand.NewPCG(seed, 1))
	apps := []string{"alpha", "bravo", "charlie"}
	var out []events.Event
	out = append(out, events.HostRegistered{Host: "h1", Addr: "127.0.0.2", CPUs: 8, MemoryBytes: 16 << 30, PortMin: 20000, PortMax: 20999})
	for i, app := range apps {
		out = append(out, events.AppDeployed{App: app, Version: 1, Spec: events.Spec{Image: "img:" + app, Replicas: i + 1, Port: 8080, CPUs: 0.25}})
	}
	for len(out) < n {
		app := apps[rng.IntN(len(apps))]
		inst := fmt.Sprintf("%s-%06x", app, rng.IntN(6))
		var e events.Event
		switch rng.IntN(12) {
		case 0, 1:
			e = events.InstanceScheduled{App: app, Instance: inst, Version: 1, Host: "h1", HostAddr: "127.0.0.2",
				HostPort: 20000 + rng.IntN(999), Image: "img:" + app, CPUs: 0.25, MemoryBytes: 32 << 20}
		case 2:
			e = events.InstanceStarted{App: app, Instance: inst, Host: "h1", ContainerID: fmt.Sprintf("c%d", rng.IntN(1000))}
		case 3:
			e = events.EndpointRegistered{App: app, Instance: inst, Host: "h1", Addr: fmt.Sprintf("127.0.0.2:%d", 20000+rng.IntN(999))}
		case 4:
			e = events.EndpointDeregistered{App: app, Instance: inst, Reason: "health"}
		case 5:
			e = events.InstanceHealthFailed{App: app, Instance: inst, Reason: "timeout", Source: "health-worker"}
		case 6:
			e = events.InstanceExited{App: app, Instance: inst, Host: "h1", ExitCode: rng.IntN(3)}
		case 7:
			e = events.InstanceUnscheduled{App: app, Instance: inst, Host: "h1", Reason: "scale down"}
		case 8:
			e = events.InstanceStopped{App: app, Instance: inst, Host: "h1"}
		case 9:
			e = events.AppScaled{App: app, Replicas: rng.IntN(5), Cause: "manual"}
		case 10:
			e = events.PlacementFailed{App: app, Unplaced: 1, Reasons: []string{fmt.Sprintf("reason %d", rng.IntN(9))}}
		case 11:
			e = events.AutoscaleDecided{App: app, From: 1, To: 2, Rule: "cpu", Reason: "cpu high",
				Inputs: events.AutoscaleInputs{CPUPercent: 91, Instances: 1}}
		}
		out = append(out, e)
	}
	return out
}

// lostLater is a host event appended at the end of some workloads.
func lostLater() events.Event {
	return events.HostLost{Host: "h1", LastSeen: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}
