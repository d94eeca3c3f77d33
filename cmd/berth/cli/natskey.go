package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/events/natsauth"
)

// natsKeyCmd authorises NATS keys on the embedded server, run where the
// server's data dir is; a running server picks them up within seconds.
func natsKeyCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "nats-key",
		Short: "Authorise a NATS key for an agent or a read-only integrator on the embedded server",
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", ".berth", "the server's data dir")
	add := func(use, short, kind string, fn func(natsauth.Directory, string) ([]byte, error)) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  args(1),
			RunE: func(cmd *cobra.Command, a []string) error {
				dir := natsauth.Directory{Dir: filepath.Join(dataDir, "credentials")}
				if _, err := fn(dir, a[0]); err != nil {
					return err
				}
				seed := filepath.Join(dir.Dir, kind, a[0]+".nk")
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", seed)
				fmt.Fprintf(cmd.ErrOrStderr(), "copy %s to the %s (mode 0600) and delete it here; pass it with --nats-creds\n", seed, use)
				return nil
			},
		}
	}
	cmd.AddCommand(
		add("host", "Make host NAME's agent key (replaces any earlier one); prints the seed file", "hosts", natsauth.Directory.AddHost),
		add("integrator", "Make a read-only key for integrator NAME; prints the seed file", "integrators", natsauth.Directory.AddIntegrator),
	)
	return cmd
}
