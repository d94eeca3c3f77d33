package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/client"
)

func eventsCmd(g *globals) *cobra.Command {
	var app string
	var follow bool
	var after uint64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the event log (CloudEvents), optionally following it",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			q := url.Values{}
			if app != "" {
				q.Set("app", app)
			}
			// The server starts at the tail unless asked: this command
			// shows the history (after 0 is all of it), then follows.
			q.Set("after", fmt.Sprint(after))
			if !g.json() {
				fmt.Fprintf(g.out, "%-8s %-20s %-32s %-12s %s\n", "SEQ", "TIME", "TYPE", "SUBJECT", "DATA")
			}
			caughtUp := false
			err := g.client().Stream(ctx, "/v1/events/stream?"+q.Encode(), func(ev client.Event) error {
				if ev.Comment == "caught-up" && !follow {
					caughtUp = true
					stop()
					return nil
				}
				if ev.Name == "error" {
					var eb struct{ Error string }
					if json.Unmarshal([]byte(ev.Data), &eb) != nil || eb.Error == "" {
						eb.Error = ev.Data
					}
					return errors.New(eb.Error)
				}
				if ev.Data == "" {
					return nil
				}
				if g.json() {
					fmt.Fprintln(g.out, ev.Data)
					return nil
				}
				var env struct {
					Type    string          `json:"type"`
					Subject string          `json:"subject"`
					Time    string          `json:"time"`
					Data    json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal([]byte(ev.Data), &env); err != nil {
					return fmt.Errorf("decode event %s: %w", ev.ID, err)
				}
				fmt.Fprintf(g.out, "%-8s %-20s %-32s %-12s %s\n", ev.ID, str(env.Time), env.Type, env.Subject, env.Data)
				return nil
			})
			if err != nil {
				return err
			}
			if caughtUp || ctx.Err() != nil {
				return nil
			}
			return errors.New("the event stream ended before the log was read to its end")
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "only this app's events")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().Uint64Var(&after, "after", 0, "start after this sequence")
	return cmd
}
