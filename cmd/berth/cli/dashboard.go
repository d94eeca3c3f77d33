package cli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
)

// signInLink is the API's answer to POST /v1/dashboard/links.
type signInLink struct {
	Path      string `json:"path"`
	ExpiresIn int    `json:"expires_in_seconds"`
}

func dashboardCmd(g *globals) *cobra.Command {
	var open bool
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Print a one-time sign-in link to the web dashboard (valid 60 s)",
		Long: "Asks the server for a one-time sign-in link to its web dashboard, served on the API's\n" +
			"address, and prints it; --open also opens it in the desktop's browser. The link\n" +
			"works once, within 60 seconds; the sign-in page also takes the token pasted.",
		Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var l signInLink
			if err := g.client().Do(cmd.Context(), "POST", "/v1/dashboard/links", nil, "", &l); err != nil {
				return err
			}
			link := strings.TrimRight(g.api, "/") + l.Path
			if g.json() {
				raw, _ := json.Marshal(map[string]any{"url": link, "expires_in_seconds": l.ExpiresIn})
				return printJSON(g.out, raw)
			}
			fmt.Fprintf(g.out, "%s\n(works once, for %d seconds)\n", link, l.ExpiresIn)
			if open {
				if err := openBrowser(link); err != nil {
					return fmt.Errorf("open a browser: %w; open the link above by hand", err)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&open, "open", false, "open the link in the desktop's browser")
	return cmd
}

func openBrowser(link string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s not found", name)
	}
	return exec.Command(path, link).Start()
}
