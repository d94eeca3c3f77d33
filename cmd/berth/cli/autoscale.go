package cli

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

func autoscaleCmd(g *globals) *cobra.Command {
	var (
		min, max                                     int
		cpuHigh, cpuLow                              float64
		latencyHigh, latencyNormal, window, cooldown string
		off                                          bool
	)
	cmd := &cobra.Command{
		Use:   "autoscale APP [--min N --max N --cpu-high P --cpu-low P --latency-high D ...]",
		Short: "Set an app's autoscaling policy, or show it with its last decisions",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			app := url.PathEscape(a[0])
			if off || cmd.Flags().NFlag() > 0 && anyPolicyFlag(cmd) {
				body := map[string]any{"disable": off, "min": min, "max": max, "cpu_high": cpuHigh, "cpu_low": cpuLow,
					"latency_high": latencyHigh, "latency_normal": latencyNormal, "scale_in_window": window, "cooldown": cooldown}
				res, err := g.command(cmd.Context(), "/v1/apps/"+app+"/autoscale", body)
				if err == nil && res != nil {
					fmt.Fprintf(g.out, "autoscale policy of %s updated\n", a[0])
				}
				return err
			}
			var st map[string]any
			if err := g.client().Do(cmd.Context(), "GET", "/v1/apps/"+app, nil, "", &st); err != nil {
				return err
			}
			var raw json.RawMessage
			if err := g.client().Do(cmd.Context(), "GET", "/v1/apps/"+app+"/events?type=dev.berth.app.autoscale_decided&limit=10&order=desc", nil, "", &raw); err != nil {
				return err
			}
			if g.json() {
				out, _ := json.Marshal(map[string]any{"policy": st["autoscale"], "decisions": json.RawMessage(raw)})
				return printJSON(g.out, out)
			}
			fmt.Fprintf(g.out, "policy: %s\nreplicas: %s\n\n", str(st["autoscale"]), str(st["replicas"]))
			rows, err := rowsOf(raw)
			if err != nil {
				return err
			}
			table(g.out, rows, field("TIME", "time"),
				column{"FROM", func(m map[string]any) string { return dataField(m, "from") }},
				column{"TO", func(m map[string]any) string { return dataField(m, "to") }},
				column{"RULE", func(m map[string]any) string { return dataField(m, "rule") }},
				column{"REASON", func(m map[string]any) string { return dataField(m, "reason") }})
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&min, "min", 1, "fewest instances")
	f.IntVar(&max, "max", 10, "most instances")
	f.Float64Var(&cpuHigh, "cpu-high", 0, "scale out above this mean CPU %")
	f.Float64Var(&cpuLow, "cpu-low", 0, "scale in below this mean CPU %")
	f.StringVar(&latencyHigh, "latency-high", "", "scale out above this p95 response time, e.g. 300ms")
	f.StringVar(&latencyNormal, "latency-normal", "", "scale in only below this p95, e.g. 50ms")
	f.StringVar(&window, "scale-in-window", "", "scale in only between HH:MM-HH:MM (UTC)")
	f.StringVar(&cooldown, "cooldown", "", "no scale-in this long after a scale-out, e.g. 60s")
	f.BoolVar(&off, "off", false, "remove the policy")
	return cmd
}

func anyPolicyFlag(cmd *cobra.Command) bool {
	for _, n := range []string{"min", "max", "cpu-high", "cpu-low", "latency-high", "latency-normal", "scale-in-window", "cooldown"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

func dataField(m map[string]any, key string) string {
	d, _ := m["data"].(map[string]any)
	return str(d[key])
}
