package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/service"
)

// hookFlags are the server's webhook settings.
func hookFlags(cmd *cobra.Command, c *service.ServerConfig) {
	f := cmd.Flags()
	f.BoolVar(&c.Hooks.AllowPrivate, "hooks-allow-private", false, "allow webhook receivers on loopback/private addresses and plain http")
	f.DurationVar(&c.Hooks.RetryPeriod, "hooks-retry-period", 24*time.Hour, "how long a failing webhook receiver is retried before its events are dead-lettered")
	f.DurationVar(&c.Hooks.Timeout, "hooks-timeout", 10*time.Second, "a webhook receiver must answer 2xx within this time")
	f.DurationVar(&c.Hooks.AckWait, "hooks-ack-wait", time.Minute, "an event a crashed server was delivering is redelivered after this (more than twice --hooks-timeout)")
}

func hooksCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Signed webhooks: every matching event POSTed to a receiver, in order, at least once",
	}
	cmd.AddCommand(hooksAddCmd(g), hooksListCmd(g), hooksRmCmd(g), hooksDeliveriesCmd(g), hooksReplayCmd(g))
	return cmd
}

func hooksAddCmd(g *globals) *cobra.Command {
	var (
		u, project, secretFile string
		apps, types            []string
	)
	cmd := &cobra.Command{
		Use:   "add NAME --url https://... [--app APP]... [--type KIND,...] [--project P] [--secret-file F]",
		Short: "Create a hook, or change it when NAME exists",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			body := map[string]any{"name": a[0], "url": u, "apps": apps, "types": types, "project": project}
			if secretFile != "" {
				b, err := os.ReadFile(secretFile)
				if err != nil {
					return fmt.Errorf("--secret-file: %w", err)
				}
				body["secret"] = strings.TrimSpace(string(b))
			}
			res, err := g.command(cmd.Context(), "/v1/hooks", body)
			if err != nil || res == nil {
				return err
			}
			switch {
			case res["duplicate"] == true:
				fmt.Fprintf(g.out, "hook %s: already applied\n", a[0])
			case !changed(res):
				fmt.Fprintf(g.out, "hook %s: unchanged\n", a[0])
			default:
				fmt.Fprintf(g.out, "hook %s: %s\n", a[0], strings.Join(strs(res["events"]), ", "))
			}
			if s, _ := res["secret"].(string); s != "" {
				fmt.Fprintf(g.out, "signing secret (shown once, keep it): %s\n", s)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&u, "url", "", "receiver URL (https)")
	f.StringArrayVar(&apps, "app", nil, "only this app's events (repeatable; none: every app and host event)")
	f.StringSliceVar(&types, "type", nil, "only these event kinds, e.g. deployed,rollout_*,instance_exited")
	f.StringVar(&project, "project", "", "project the hook belongs to (default: default)")
	f.StringVar(&secretFile, "secret-file", "", "file holding the signing secret (default: the server generates one)")
	return cmd
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func hooksListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List hooks with their receiver's state",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.list(cmd.Context(), "/v1/hooks",
				field("HOOK", "name"), field("PROJECT", "project"), field("STATE", "state"), field("URL", "url"),
				field("APPS", "apps"), field("TYPES", "types"), field("LAST SUCCESS", "last_success"), field("LAST ERROR", "last_error"))
		},
	}
}

func hooksRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a hook; nothing more is delivered to it",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			var raw json.RawMessage
			if err := g.sendAs(cmd.Context(), "DELETE", "/v1/hooks/"+url.PathEscape(a[0]), nil, &raw); err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.out, raw)
			}
			fmt.Fprintf(g.out, "hook %s removed\n", a[0])
			return nil
		},
	}
}

func hooksDeliveriesCmd(g *globals) *cobra.Command {
	var (
		limit int
		dead  bool
	)
	cmd := &cobra.Command{
		Use:   "deliveries NAME [--limit N] [--dead]",
		Short: "Recent delivery attempts (newest first) with status, latency and error; --dead: dead letters only",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if dead {
				q.Set("outcome", "dead")
			}
			return g.list(cmd.Context(), "/v1/hooks/"+url.PathEscape(a[0])+"/deliveries?"+q.Encode(),
				field("TIME", "attempted_at"), field("EVENT", "event_id"), field("TYPE", "event_type"), field("SUBJECT", "subject"),
				field("TRY", "attempt"), field("STATUS", "status_code"),
				column{"LATENCY", func(m map[string]any) string { return fmt.Sprintf("%.0fms", m["latency_ms"]) }},
				field("OUTCOME", "outcome"), field("ERROR", "error"))
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many attempts")
	cmd.Flags().BoolVar(&dead, "dead", false, "dead letters only")
	return cmd
}

func hooksReplayCmd(g *globals) *cobra.Command {
	var since string
	cmd := &cobra.Command{
		Use:   "replay NAME --since 1h",
		Short: "Redeliver every matching event since a time (duration back, or RFC 3339), dead letters included, in order",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if since == "" {
				return usageError{errors.New("replay: --since is required (1h, 30m, or an RFC 3339 time)")}
			}
			res, err := g.command(cmd.Context(), "/v1/hooks/"+url.PathEscape(a[0])+"/replay", map[string]any{"since": since})
			if err != nil || res == nil {
				return err
			}
			fmt.Fprintf(g.out, "hook %s: replaying events since %s\n", a[0], since)
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "redeliver from this long ago (1h) or this time (RFC 3339)")
	return cmd
}
