package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/client"
)

// logLine is one record as the logs API returns it.
type logLine struct {
	Time     time.Time `json:"time"`
	Instance string    `json:"instance"`
	Host     string    `json:"host"`
	Stream   string    `json:"stream"`
	Message  string    `json:"message"`
}

func (g *globals) printLog(raw []byte) error {
	if g.json() {
		fmt.Fprintln(g.out, string(raw))
		return nil
	}
	var l logLine
	if err := json.Unmarshal(raw, &l); err != nil {
		return fmt.Errorf("decode log record: %w", err)
	}
	fmt.Fprintf(g.out, "%s %s %s\n", l.Time.Local().Format("2006-01-02T15:04:05.000"), l.Instance, l.Message)
	return nil
}

func logsCmd(g *globals) *cobra.Command {
	var since, until time.Duration
	var query, instance string
	var follow bool
	var limit int
	cmd := &cobra.Command{
		Use:   "logs APP",
		Short: "Search an app's logs across hosts (newest last), or follow them",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			q := url.Values{}
			now := time.Now()
			if since > 0 {
				q.Set("since", now.Add(-since).UTC().Format(time.RFC3339Nano))
			}
			if until > 0 {
				q.Set("until", now.Add(-until).UTC().Format(time.RFC3339Nano))
			}
			if query != "" {
				q.Set("q", query)
			}
			if instance != "" {
				q.Set("instance", instance)
			}
			q.Set("limit", strconv.Itoa(limit))
			path := "/v1/apps/" + url.PathEscape(a[0]) + "/logs"
			var res struct {
				Records []json.RawMessage `json:"records"`
			}
			if err := g.client().Do(cmd.Context(), "GET", path+"?"+q.Encode(), nil, "", &res); err != nil {
				return err
			}
			for _, r := range res.Records {
				if err := g.printLog(r); err != nil {
					return err
				}
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			q.Del("since")
			q.Del("limit")
			err := g.client().Stream(ctx, path+"/follow?"+q.Encode(), func(ev client.Event) error {
				if ev.Data == "" {
					return nil
				}
				return g.printLog([]byte(ev.Data))
			})
			if ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.DurationVar(&since, "since", 0, "only lines newer than this, e.g. 10m")
	f.DurationVar(&until, "until", 0, "only lines older than this long ago")
	f.StringVar(&query, "query", "", "only lines containing this text")
	f.StringVar(&instance, "instance", "", "only this instance")
	f.BoolVarP(&follow, "follow", "f", false, "stream new lines as they arrive")
	f.IntVar(&limit, "limit", 200, "at most this many lines")
	return cmd
}
