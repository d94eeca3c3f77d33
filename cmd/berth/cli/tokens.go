package cli

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// tokensCmd manages API tokens (admin).
func tokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Manage API tokens: create, list, revoke (admin)"}
	var role, ttl string
	var projects []string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its secret, once (only a hash is kept)",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			var out map[string]any
			body := map[string]any{"name": a[0], "role": role, "projects": projects, "ttl": ttl}
			// No retry: a second attempt would mint a second secret.
			if err := g.client().Do(cmd.Context(), "POST", "/v1/tokens", body, "", &out); err != nil {
				return err
			}
			if g.json() {
				b, _ := json.Marshal(map[string]any{"name": out["name"], "token": out["token"]})
				return printJSON(g.out, b)
			}
			fmt.Fprintln(g.out, out["token"])
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "viewer", "viewer, deployer, operator or admin")
	create.Flags().StringArrayVar(&projects, "project", nil, "limit the token to this project (repeatable; default: every project)")
	create.Flags().StringVar(&ttl, "ttl", "", "expire after this long, e.g. 24h (default: never)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.list(cmd.Context(), "/v1/tokens", field("NAME", "name"), field("ROLE", "role"),
				field("PROJECTS", "projects"), field("EXPIRES", "expires_at"), field("REVOKED", "revoked"))
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token; every server refuses it within a second",
		Args:  args(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := g.client().Do(cmd.Context(), "POST", "/v1/tokens/"+url.PathEscape(a[0])+"/revoke", nil, "", nil); err != nil {
				return err
			}
			fmt.Fprintf(g.out, "revoked %s\n", a[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// auditCmd shows who did what (admin).
func auditCmd(g *globals) *cobra.Command {
	var actor string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the events API requests caused, with the token that asked (admin)",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if actor != "" {
				q.Set("actor", actor)
			}
			return g.list(cmd.Context(), "/v1/audit?"+q.Encode(), field("SEQ", "seq"), field("TIME", "time"),
				field("ACTOR", "actor"), field("TYPE", "type"), field("SUBJECT", "subject"))
		},
	}
	cmd.Flags().StringVar(&actor, "actor", "", "only this token's")
	cmd.Flags().IntVar(&limit, "limit", 100, "the newest N")
	return cmd
}
