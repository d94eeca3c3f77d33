package placement

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// explain says why the remaining instances found no host, aggregated over
// hosts and worded for the person who asked for the replicas. Each host
// that matches the constraints is blamed on the first limit it hits.
func (p *placer) explain() []string {
	keys := make([]string, 0, len(p.app.Constraints))
	for k := range p.app.Constraints {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	miss := make([][]string, len(keys))
	var lost, maxed, noMem, noCPU, noPort []string
	active := 0
	for i := range p.ix.hosts {
		h := &p.ix.hosts[i]
		id := h.host.ID
		if h.host.Lost {
			lost = append(lost, id)
			continue
		}
		active++
		matched := true
		for j, k := range keys {
			if got, ok := h.host.Labels[k]; !ok || got != p.app.Constraints[k] {
				miss[j] = append(miss[j], id)
				matched = false
			}
		}
		if !matched {
			continue
		}
		switch {
		case p.app.MaxPerHost > 0 && h.count >= p.app.MaxPerHost:
			maxed = append(maxed, id)
		case p.mem > 0 && h.freeMem < p.mem:
			noMem = append(noMem, id)
		case p.cpu > 0 && h.freeCPU < p.cpu:
			noCPU = append(noCPU, id)
		default:
			if _, ok := p.ix.portsOf(h).peek(); !ok {
				noPort = append(noPort, id)
			}
		}
	}

	var out []string
	if len(p.ix.hosts) == 0 {
		out = append(out, "no hosts registered")
	}
	switch len(lost) {
	case 0:
	case 1:
		out = append(out, fmt.Sprintf("host %s is lost", lost[0]))
	default:
		out = append(out, fmt.Sprintf("%d hosts are lost", len(lost)))
	}
	for j, k := range keys {
		switch c := k + "=" + p.app.Constraints[k]; {
		case len(miss[j]) == 0:
		case len(miss[j]) == active:
			out = append(out, "no host matches constraint "+c)
		default:
			out = append(out, fmt.Sprintf("constraint %s not met on %s", c, onHosts(miss[j])))
		}
	}
	if len(maxed) > 0 {
		out = append(out, fmt.Sprintf("max-per-host %d reached on %s", p.app.MaxPerHost, onHosts(maxed)))
	}
	if len(noMem) > 0 {
		out = append(out, fmt.Sprintf("insufficient memory on %s (need %s)", onHosts(noMem), formatBytes(p.mem)))
	}
	if len(noCPU) > 0 {
		out = append(out, fmt.Sprintf("insufficient cpu on %s (need %s)", onHosts(noCPU), formatCPU(p.cpu)))
	}
	if len(noPort) > 0 {
		out = append(out, "no free port on "+onHosts(noPort))
	}
	if p.idFailed {
		out = append(out, "could not generate a unique instance id")
	}
	return out
}

// onHosts names a single host and counts several.
func onHosts(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return fmt.Sprintf("%d hosts", len(ids))
}

func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + units[u]
}

func formatCPU(milli int64) string {
	s := strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
	if milli == 1000 {
		return s + " cpu"
	}
	return s + " cpus"
}
