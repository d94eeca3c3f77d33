package dockerrt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/docker/docker/api/types/container"
)

// Stats takes one stats sample of a running container: CPU as a percentage of
// one CPU (200 = two CPUs busy) and memory in use excluding reclaimable page
// cache, both as `docker stats` shows them. It asks for a non-streamed sample,
// for which the engine waits for a second reading so the CPU delta is real
// (the one-shot variant leaves precpu empty); expect it to take about a second.
func (r *Runtime) Stats(ctx context.Context, id string) (cpuPercent float64, memBytes uint64, err error) {
	resp, err := r.api.ContainerStats(ctx, id, false)
	if err != nil {
		return 0, 0, fmt.Errorf("stats %s: %w", short(id), err)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return 0, 0, fmt.Errorf("decode stats %s: %w", short(id), err)
	}
	return cpuPercentOf(s), memUsageOf(s.MemoryStats), nil
}

// cpuPercentOf is the container's share of host CPU time between the two
// readings, scaled by the online CPUs (the docker CLI's formula).
func cpuPercentOf(s container.StatsResponse) float64 {
	cur, pre := s.CPUStats, s.PreCPUStats
	if pre.SystemUsage == 0 || cur.SystemUsage <= pre.SystemUsage || cur.CPUUsage.TotalUsage < pre.CPUUsage.TotalUsage {
		return 0 // no previous reading, or counters reset
	}
	cpuDelta := float64(cur.CPUUsage.TotalUsage - pre.CPUUsage.TotalUsage)
	systemDelta := float64(cur.SystemUsage - pre.SystemUsage)
	cpus := float64(cur.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(cur.CPUUsage.PercpuUsage))
	}
	return cpuDelta / systemDelta * cpus * 100
}

// memUsageOf subtracts inactive page cache from usage, as the docker CLI does
// (cgroup v1 reports it as total_inactive_file, v2 as inactive_file).
func memUsageOf(m container.MemoryStats) uint64 {
	for _, key := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := m.Stats[key]; ok && v < m.Usage {
			return m.Usage - v
		}
	}
	return m.Usage
}
