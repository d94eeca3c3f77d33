package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// get fetches path and prints it as JSON or as a table of cols.
func (g *globals) list(ctx context.Context, path string, cols ...column) error {
	var raw json.RawMessage
	if err := g.client().Do(ctx, "GET", path, nil, "", &raw); err != nil {
		return err
	}
	if g.json() {
		return printJSON(g.out, raw)
	}
	rows, err := rowsOf(raw)
	if err != nil {
		return err
	}
	table(g.out, rows, cols...)
	return nil
}

func appsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "apps",
		Short: "List apps",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.list(cmd.Context(), "/v1/apps",
				field("APP", "name"), field("STATUS", "status"), field("IMAGE", "image"),
				field("REPLICAS", "replicas"), field("HEALTHY", "healthy"), field("VERSION", "version"),
				field("UPDATED", "updated_at"))
		},
	}
}

func psCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "ps APP",
		Short: "List an app's instances",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			path := "/v1/apps/" + url.PathEscape(a[0]) + "/instances"
			if all {
				path += "?all=1"
			}
			if err := g.list(cmd.Context(), path,
				field("INSTANCE", "id"), field("STATE", "state"), field("HOST", "host"),
				column{"ADDRESS", func(m map[string]any) string {
					if str(m["host_addr"]) == "-" {
						return "-"
					}
					return fmt.Sprintf("%s:%s", str(m["host_addr"]), str(m["host_port"]))
				}},
				field("VERSION", "version"), field("EXIT", "exit_code"),
				column{"REASON", func(m map[string]any) string {
					if e := str(m["error"]); e != "-" {
						return e
					}
					return str(m["reason"])
				}},
				field("UPDATED", "updated_at")); err != nil {
				return err
			}
			if g.json() {
				return nil
			}
			// Unplaced instances stay visible with the scheduler's reason.
			var app map[string]any
			if err := g.client().Do(cmd.Context(), "GET", "/v1/apps/"+url.PathEscape(a[0]), nil, "", &app); err == nil {
				if reasons := str(app["placement_failure"]); reasons != "-" {
					fmt.Fprintf(g.out, "\nnot placed: %s\n", reasons)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include stopped and exited instances")
	return cmd
}

func hostsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "hosts",
		Short: "List hosts with capacity, usage, labels and state",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.list(cmd.Context(), "/v1/hosts",
				field("HOST", "id"), field("STATE", "state"), field("ADDRESS", "addr"), field("ZONE", "zone"),
				column{"CPU USED/CAP", func(m map[string]any) string { return str(m["used_cpus"]) + "/" + str(m["cpus"]) }},
				column{"MEMORY USED/CAP", func(m map[string]any) string {
					return mib(m["used_memory_bytes"]) + "/" + mib(m["memory_bytes"])
				}},
				field("INSTANCES", "instances"), field("LABELS", "labels"))
		},
	}
}

func mib(v any) string {
	f, ok := v.(float64)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0fMiB", f/(1<<20))
}

// waitHealthy polls until every wanted instance is healthy, printing the
// progress, or fails with the reason at the deadline.
func (g *globals) waitHealthy(ctx context.Context, app string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	for {
		var a map[string]any
		var insts []map[string]any
		var raw json.RawMessage
		err := g.client().Do(ctx, "GET", "/v1/apps/"+url.PathEscape(app), nil, "", &a)
		if err == nil {
			err = g.client().Do(ctx, "GET", "/v1/apps/"+url.PathEscape(app)+"/instances", nil, "", &raw)
		}
		if err == nil {
			insts, err = rowsOf(raw)
		}
		if err == nil {
			want := int(num(a["replicas"]))
			placed, started, healthy := 0, 0, 0
			for _, i := range insts {
				if int(num(i["version"])) != int(num(a["version"])) {
					continue
				}
				switch i["state"] {
				case "healthy":
					healthy++
					started++
					placed++
				case "running":
					started++
					placed++
				case "scheduled":
					placed++
				}
			}
			line := fmt.Sprintf("%s: placed %d/%d, started %d/%d, healthy %d/%d", app, placed, want, started, want, healthy, want)
			if r := str(a["placement_failure"]); r != "-" {
				line += " (not placed: " + r + ")"
			}
			if line != last && !g.json() {
				fmt.Fprintln(g.out, line)
				last = line
			}
			if healthy >= want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if last == "" && err != nil {
				return fmt.Errorf("waiting for %s: %w", app, err)
			}
			return fmt.Errorf("%s not healthy after %s: %s", app, timeout, strings.TrimPrefix(last, app+": "))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
