package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/client"
)

// globals are the flags every client command shares.
type globals struct {
	api    string
	token  string
	output string
	out    io.Writer
}

func (g *globals) client() *client.Client { return client.New(g.api, g.token) }

func (g *globals) json() bool { return g.output == "json" }

// Main runs the CLI and returns the process exit code: 0 on success, 1 on
// failure, 2 on a usage error. Failures print one line to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "berth: %s\n", oneLine(err))
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func newRoot(stdout io.Writer) *cobra.Command {
	g := &globals{out: stdout}
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Berth runs Docker images as apps: deploy, scale, route, heal, log.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&g.api, "api", envOr("BERTH_API", "http://127.0.0.1:7070"), "Berth API URL ($BERTH_API)")
	root.PersistentFlags().StringVar(&g.token, "token", os.Getenv("BERTH_TOKEN"), "bearer token ($BERTH_TOKEN)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.output != "table" && g.output != "json" {
			return usageError{fmt.Errorf("--output %q: use table or json", g.output)}
		}
		return g.fromConfig(cmd)
	}
	root.AddCommand(
		deployCmd(g), scaleCmd(g), stopCmd(g), healthFailCmd(g),
		appsCmd(g), psCmd(g), hostsCmd(g), eventsCmd(g), logsCmd(g),
		autoscaleCmd(g), domainsCmd(g), denyCmd(g), rolloutCmd(g), rollbackCmd(g), hooksCmd(g),
		tokensCmd(g), auditCmd(g),
		serverCmd(), agentCmd(), devCmd(), projectionsCmd(), dashboardCmd(g), natsKeyCmd(),
	)
	return root
}

// fromConfig fills the token (and the API, when neither --api nor
// $BERTH_API chose one) from the client config `berth dev` writes, when
// neither --token nor $BERTH_TOKEN gave one.
func (g *globals) fromConfig(cmd *cobra.Command) error {
	if g.token != "" || cmd.Flags().Changed("token") {
		return nil
	}
	c, err := client.LoadConfig(client.ConfigPath())
	if err != nil || c.Token == "" {
		return err
	}
	g.token = c.Token
	if c.API != "" && !cmd.Flags().Changed("api") && os.Getenv("BERTH_API") == "" {
		g.api = c.API
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// args wraps cobra's positional-argument checks as usage errors.
func args(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := cobra.ExactArgs(n)(cmd, a); err != nil {
			return usageError{fmt.Errorf("%s: %w (usage: %s)", cmd.Name(), err, cmd.UseLine())}
		}
		return nil
	}
}

func oneLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " (and more)"
		}
	}
	return s
}
