package dashboard

import (
	"net/http"
	"sort"
	"strconv"
)

// Zone is the hosts of one zone: the topology.
type Zone struct {
	Name  string
	Hosts []HostRow
	Lost  int
}

// zones groups hosts by zone, zones by name, hosts by id; hosts without a
// zone go under "(no zone)".
func zones(hosts []HostRow) []Zone {
	byName := map[string]*Zone{}
	var out []*Zone
	for _, h := range hosts {
		name := h.Zone
		if name == "" {
			name = "(no zone)"
		}
		z, ok := byName[name]
		if !ok {
			z = &Zone{Name: name}
			byName[name] = z
			out = append(out, z)
		}
		z.Hosts = append(z.Hosts, h)
		if h.State == "lost" {
			z.Lost++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	res := make([]Zone, len(out))
	for i, z := range out {
		sort.Slice(z.Hosts, func(a, b int) bool { return z.Hosts[a].ID < z.Hosts[b].ID })
		res[i] = *z
	}
	return res
}

func (d *Dashboard) hostsPage(r *http.Request, v *view) (string, error) {
	at := d.seen(r)
	hosts, err := d.hosts(r.Context())
	if err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Hosts", "hosts", zones(hosts)
	v.Stream = "/ui/stream?after=" + strconv.FormatUint(at, 10)
	return "hosts", nil
}
