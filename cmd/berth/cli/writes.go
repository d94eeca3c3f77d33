package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/client"
)

// command sends one write (send) and prints its answer as JSON with -o
// json (then it returns no result) or returns it decoded.
func (g *globals) command(ctx context.Context, path string, body any) (map[string]any, error) {
	raw, err := g.send(ctx, path, body)
	if err != nil {
		return nil, err
	}
	var res map[string]any
	if g.json() {
		return nil, printJSON(g.out, raw)
	}
	_ = json.Unmarshal(raw, &res)
	return res, nil
}

// send posts one write (see sendAs).
func (g *globals) send(ctx context.Context, path string, body any) (json.RawMessage, error) {
	var raw json.RawMessage
	err := g.sendAs(ctx, "POST", path, body, &raw)
	return raw, err
}

// sendAs sends one write with an idempotency key, retrying transport
// failures and 503s (the event store between leaders, or its answer lost)
// with the same key: a retry can never apply the command twice.
func (g *globals) sendAs(ctx context.Context, method, path string, body any, out *json.RawMessage) error {
	key := uuid.NewString()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = g.client().Do(ctx, method, path, body, key, out)
		var apiErr *client.APIError
		if err == nil || (errors.As(err, &apiErr) && apiErr.Status != http.StatusServiceUnavailable) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 300 * time.Millisecond):
		}
	}
	return err
}

func changed(res map[string]any) bool {
	evs, _ := res["events"].([]any)
	return len(evs) > 0
}

func deployCmd(g *globals) *cobra.Command {
	var (
		image, memory, healthPath, interval string
		project                             string
		replicas, port, maxPerHost          int
		cpus                                float64
		env, constraints                    []string
		wait                                bool
		timeout                             time.Duration
		ro                                  rolloutFlags
	)
	cmd := &cobra.Command{
		Use:   "deploy APP --image IMAGE",
		Short: "Deploy an app (create it or replace its spec)",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			envMap, err := pairs("--env", env)
			if err != nil {
				return err
			}
			cons, err := pairs("--constraint", constraints)
			if err != nil {
				return err
			}
			body := map[string]any{"image": image, "port": port, "env": envMap, "memory": memory,
				"cpus": cpus, "health_path": healthPath, "health_interval": interval,
				"constraints": cons, "max_per_host": maxPerHost, "project": project}
			if cmd.Flags().Changed("replicas") {
				body["replicas"] = replicas
			}
			if err := ro.fill(cmd, body); err != nil {
				return err
			}
			addSecurity(cmd, body)
			app := a[0]
			raw, err := g.send(cmd.Context(), "/v1/apps/"+url.PathEscape(app)+"/deploy", body)
			if err != nil {
				return err
			}
			var res map[string]any
			_ = json.Unmarshal(raw, &res)
			release := int(num(res["release"]))
			switch {
			case g.json():
				if err := printJSON(g.out, raw); err != nil {
					return err
				}
			case changed(res) && release > 0:
				fmt.Fprintf(g.out, "deployed %s release %d\n", app, release)
			case changed(res):
				fmt.Fprintf(g.out, "deployed %s\n", app)
			default:
				fmt.Fprintf(g.out, "%s already runs this spec\n", app)
			}
			if wait {
				return g.waitDeploy(cmd, app, release, timeout)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&image, "image", "", "Docker image to run (required)")
	f.IntVar(&replicas, "replicas", 1, "number of instances")
	f.IntVar(&port, "port", 0, "port the container listens on (default 8080)")
	f.StringArrayVar(&env, "env", nil, "environment variable K=V (repeatable)")
	f.StringVar(&memory, "memory", "", "memory limit per instance, e.g. 512m")
	f.Float64Var(&cpus, "cpus", 0, "CPU limit per instance, e.g. 0.5")
	f.StringVar(&healthPath, "health-path", "", "HTTP health check path (default /_ping)")
	f.StringVar(&interval, "health-interval", "", "health check interval (default 2s)")
	f.StringArrayVar(&constraints, "constraint", nil, "place only on hosts with label k=v (repeatable)")
	f.IntVar(&maxPerHost, "max-per-host", 0, "at most N instances per host (0 = no limit)")
	f.StringVar(&project, "project", "", "project the app belongs to, for access control (default: default)")
	f.BoolVar(&wait, "wait", false, "follow the new release's rollout; fail unless it succeeds")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "how long --wait waits (a rollout ends by its --progress-deadline)")
	ro.register(f)
	securityFlags(cmd)
	_ = cmd.MarkFlagRequired("image")
	return cmd
}

func pairs(flag string, in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("%s %q: use KEY=VALUE", flag, kv)}
		}
		out[k] = v
	}
	return out, nil
}

func scaleCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "scale APP REPLICAS",
		Short: "Set an app's number of instances",
		Args:  args(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			n, err := strconv.Atoi(a[1])
			if err != nil {
				return usageError{fmt.Errorf("replicas %q is not a number", a[1])}
			}
			res, err := g.command(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/scale", map[string]any{"replicas": n})
			if err == nil && res != nil {
				fmt.Fprintf(g.out, "scaled %s to %d\n", a[0], n)
			}
			return err
		},
	}
}

func stopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stop APP",
		Short: "Stop every instance of an app",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			res, err := g.command(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/stop", nil)
			if err == nil && res != nil {
				fmt.Fprintf(g.out, "stopped %s\n", a[0])
			}
			return err
		},
	}
}

func healthFailCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "health-fail APP INSTANCE",
		Short: "Report an instance as failed; the platform replaces it",
		Args:  args(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			path := "/v1/apps/" + url.PathEscape(a[0]) + "/instances/" + url.PathEscape(a[1]) + "/health-fail"
			res, err := g.command(cmd.Context(), path, map[string]any{"reason": reason})
			if err == nil && res != nil {
				if changed(res) {
					fmt.Fprintf(g.out, "reported %s as failed\n", a[1])
				} else {
					fmt.Fprintf(g.out, "%s is not live; nothing to do\n", a[1])
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the instance failed")
	return cmd
}

func domainsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "domains APP [DOMAIN...]",
		Short: "Set the custom domains routed to an app (none clears them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			res, err := g.command(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/domains", map[string]any{"domains": listArgs(a[1:])})
			if err == nil && res != nil {
				fmt.Fprintf(g.out, "%s domains: %s\n", a[0], strings.Join(a[1:], ", "))
			}
			return err
		},
	}
}

func denyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "deny APP [IP|CIDR...]",
		Short: "Set the client addresses the gateway refuses for an app (none clears them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			res, err := g.command(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/deny", map[string]any{"deny": listArgs(a[1:])})
			if err == nil && res != nil {
				fmt.Fprintf(g.out, "%s deny list: %s\n", a[0], strings.Join(a[1:], ", "))
			}
			return err
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
