package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func rolloutCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Follow, list and steer an app's rollouts",
	}
	cmd.AddCommand(rolloutStatusCmd(g), rolloutHistoryCmd(g))
	for _, a := range []struct{ verb, short, done string }{
		{"pause", "Hold the app's rollout where it is", "paused"},
		{"resume", "Let a paused rollout go on", "resumed"},
		{"promote", "Skip the rest of the rollout's steps: the new release takes over", "promoted"},
		{"abort", "Stop the rollout and put the previous release back", "aborted"},
	} {
		cmd.AddCommand(rolloutActionCmd(g, a.verb, a.short, a.done))
	}
	return cmd
}

// rolloutStatusCmd exits as kubectl rollout status does: 0 when the
// latest rollout succeeded (or, without --watch, still runs), 1 with the
// reason when it rolled back, failed or was superseded.
func rolloutStatusCmd(g *globals) *cobra.Command {
	var (
		watch   bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status APP",
		Short: "Show the app's latest rollout; exit non-zero unless it succeeded (or runs)",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			app := a[0]
			var raw json.RawMessage
			if err := g.client().Do(cmd.Context(), "GET", rolloutPath(app, 0), nil, "", &raw); err != nil {
				return err // no such app, or no rollout yet: nothing to watch either
			}
			var ro rolloutView
			if err := json.Unmarshal(raw, &ro); err != nil {
				return fmt.Errorf("decode rollout of %s: %w", app, err)
			}
			if watch {
				return g.followTo(cmd, app, ro.Release, ro.ID-1, timeout)
			}
			if g.json() {
				if err := printJSON(g.out, raw); err != nil {
					return err
				}
			} else {
				printRollout(g, ro)
			}
			return outcome(ro)
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the rollout until it ends")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long --watch waits")
	return cmd
}

func printRollout(g *globals, ro rolloutView) {
	kind := "rollout"
	if ro.Rollback {
		kind = "rollback"
	}
	fmt.Fprintf(g.out, "%s: %s of release %d (%s", ro.App, kind, ro.Release, ro.Strategy)
	if ro.From > 0 {
		fmt.Fprintf(g.out, ", from release %d", ro.From)
	}
	fmt.Fprintf(g.out, "): %s, step %d", strings.ReplaceAll(ro.Status, "_", " "), ro.Step)
	if ro.Strategy == "canary" {
		fmt.Fprintf(g.out, ", weight %d%%", ro.Weight)
	}
	if ro.Reason != "" {
		fmt.Fprintf(g.out, ": %s", ro.Reason)
	}
	fmt.Fprintln(g.out)
	for _, s := range ro.Steps {
		fmt.Fprintln(g.out, "  "+stepLine(ro, s))
	}
}

func rolloutHistoryCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "history APP",
		Short: "List every release of an app with how its rollout ended",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return g.list(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/releases",
				field("RELEASE", "version"), field("IMAGE", "image"), field("CREATED", "created_at"),
				column{"OUTCOME", func(m map[string]any) string {
					if m["rolling_out"] == true {
						return "rolling out"
					}
					return strings.ReplaceAll(str(m["outcome"]), "_", " ")
				}},
				field("FAILURES", "failures"), field("COMMAND", "idempotency_key"), field("REASON", "reason"))
		},
	}
}

func rolloutActionCmd(g *globals, verb, short, done string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   verb + " APP",
		Short: short,
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			body := map[string]any{}
			if reason != "" {
				body["reason"] = reason
			}
			res, err := g.command(cmd.Context(), "/v1/apps/"+url.PathEscape(a[0])+"/rollout/"+verb, body)
			if err == nil && res != nil {
				if changed(res) {
					fmt.Fprintf(g.out, "%s: rollout %s\n", a[0], done)
				} else {
					fmt.Fprintf(g.out, "%s: nothing to do\n", a[0])
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded with the event)")
	return cmd
}

func rollbackCmd(g *globals) *cobra.Command {
	var (
		to      int
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "rollback APP [--to VERSION]",
		Short: "Put an earlier release back (default: the last one before the current that succeeded)",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			app := a[0]
			if to < 0 {
				return usageError{fmt.Errorf("--to %d: a release number is 1 or more", to)}
			}
			// The rollback's rollout is the first one newer than this.
			var before int64
			if wait {
				ro, found, err := g.fetchRollout(cmd.Context(), app, 0)
				if err != nil {
					return err
				}
				if found {
					before = ro.ID
				}
			}
			body := map[string]any{}
			if to > 0 {
				body["to"] = to
			}
			raw, err := g.send(cmd.Context(), "/v1/apps/"+url.PathEscape(app)+"/rollback", body)
			if err != nil {
				return err
			}
			var res map[string]any
			_ = json.Unmarshal(raw, &res)
			release := int(num(res["release"]))
			if release == 0 {
				release = to
			}
			switch {
			case g.json():
				if err := printJSON(g.out, raw); err != nil {
					return err
				}
			case !changed(res):
				fmt.Fprintf(g.out, "%s: nothing to roll back\n", app)
			case release > 0:
				fmt.Fprintf(g.out, "%s: rolling back to release %d\n", app, release)
			default:
				fmt.Fprintf(g.out, "%s: rolling back\n", app)
			}
			if !wait || !startedRollout(res) {
				return nil // nothing to follow: a no-op, or a rollback done at once
			}
			return g.followTo(cmd, app, release, before, timeout)
		},
	}
	cmd.Flags().IntVar(&to, "to", 0, "the release to put back (default: the last one before the current that succeeded)")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the rollback until it ends; fail unless it succeeds")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long --wait waits")
	return cmd
}

// startedRollout reports whether a command's answer lists a RolloutStarted.
func startedRollout(res map[string]any) bool {
	evs, _ := res["events"].([]any)
	for _, e := range evs {
		if s, _ := e.(string); strings.HasSuffix(s, ".rollout_started") {
			return true
		}
	}
	return false
}

// waitDeploy follows the rollout of the release a deploy created; a deploy
// that created none follows the app's latest rollout, if it has one, and
// otherwise waits for every instance to be healthy.
func (g *globals) waitDeploy(cmd *cobra.Command, app string, release int, timeout time.Duration) error {
	if release == 0 {
		_, found, err := g.fetchRollout(cmd.Context(), app, 0)
		if err != nil {
			return err
		}
		if !found {
			return g.waitHealthy(cmd.Context(), app, timeout)
		}
	}
	return g.followTo(cmd, app, release, 0, timeout)
}

// followTo follows a rollout to its end; with -o json the progress goes to
// stderr and the final rollout to stdout.
func (g *globals) followTo(cmd *cobra.Command, app string, release int, after int64, timeout time.Duration) error {
	w := g.out
	if g.json() {
		w = cmd.ErrOrStderr()
	}
	ro, err := g.follow(cmd.Context(), w, app, release, after, timeout)
	if g.json() && ro.raw != nil {
		if perr := printJSON(g.out, ro.raw); perr != nil {
			return perr
		}
	}
	return err
}
