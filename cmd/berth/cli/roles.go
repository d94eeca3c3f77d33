package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/client"
	"github.com/berth-dev/berth/cmd/berth/service"
	"github.com/berth-dev/berth/events/natsauth"
)

func serverFlags(cmd *cobra.Command, c *service.ServerConfig) {
	f := cmd.Flags()
	f.StringVar(&c.API, "api-listen", ":7070", "control API listen address")
	f.StringVar(&c.Token, "api-token", os.Getenv("BERTH_TOKEN"), "require this bearer token on the API ($BERTH_TOKEN)")
	f.StringVar(&c.NATSURL, "nats-url", os.Getenv("BERTH_NATS_URL"), "external NATS server/cluster ($BERTH_NATS_URL); empty embeds one")
	f.StringVar(&c.NATSCreds, "nats-creds", os.Getenv("BERTH_NATS_CREDS"), "credential for --nats-url: an nkey seed or a .creds file ($BERTH_NATS_CREDS)")
	natsTLSFlags(cmd, &c.NATSTLS, "the embedded NATS server's certificate (server and client usage)", "CA that clients' certificates must chain to (then required); towards --nats-url, the server's CA")
	f.StringVar(&c.NATSListen, "nats-listen", "127.0.0.1:4222", "embedded NATS client address (only keys under <data-dir>/credentials get in)")
	f.StringVar(&c.DataDir, "data-dir", ".berth", "where the embedded NATS server keeps its data")
	f.BoolVar(&c.SyncAlways, "sync-always", false, "fsync every event before acknowledging it (embedded NATS)")
	f.IntVar(&c.StreamReplicas, "stream-replicas", 1, "replicas of the event and log streams and the KV buckets on a NATS cluster")
	f.StringVar(&c.DatabaseURL, "database-url", os.Getenv("BERTH_DATABASE_URL"), "PostgreSQL URL ($BERTH_DATABASE_URL)")
	f.StringVar(&c.GatewayListen, "gateway-listen", ":8080", "gateway listen address (empty disables the gateway)")
	f.StringVar(&c.GatewayDomain, "domain", "localhost", "apps are reached at APP.<domain>")
	f.StringVar(&c.GatewayAdmin, "gateway-admin", "127.0.0.1:9180", "gateway /metrics address")
	f.StringVar(&c.SyslogListen, "syslog-listen", "", "also take syslog here, UDP and TCP, from senders without a host relay (empty: none)")
	f.StringVar(&c.ElasticsearchURL, "elasticsearch-url", os.Getenv("BERTH_ELASTICSEARCH_URL"), "index logs into this Elasticsearch ($BERTH_ELASTICSEARCH_URL); empty keeps them in Postgres")
	f.StringVar(&c.ElasticsearchPrefix, "elasticsearch-prefix", "berth-logs", "daily log index name prefix")
	hookFlags(cmd, c)
	limitFlags(cmd, &c.Limits)
}

func serverCmd() *cobra.Command {
	var c service.ServerConfig
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane: API, event store, projections, workers, gateway, logpipe",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := service.StartServer(cmd.Context(), c)
			if err != nil {
				return err
			}
			s.PrintAddresses(cmd.OutOrStdout())
			<-cmd.Context().Done()
			s.Close()
			return nil
		},
	}
	serverFlags(cmd, &c)
	return cmd
}

func agentCmd() *cobra.Command {
	var c service.AgentConfig
	var labels []string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the host agent: registers the host and runs its containers on Docker",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := pairs("--label", labels)
			if err != nil {
				return err
			}
			c.Labels = l
			return service.RunAgent(cmd.Context(), c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.NATSURL, "nats-url", envOr("BERTH_NATS_URL", "nats://127.0.0.1:4222"), "NATS server ($BERTH_NATS_URL)")
	f.StringVar(&c.NATSCreds, "nats-creds", os.Getenv("BERTH_NATS_CREDS"), "this host's NATS credential, from `berth nats-key host` ($BERTH_NATS_CREDS)")
	natsTLSFlags(cmd, &c.NATSTLS, "this host's NATS client certificate", "CA the NATS server's certificate chains to")
	f.StringVar(&c.HostID, "host-id", hostname(), "this host's id")
	f.StringVar(&c.Addr, "addr", "127.0.0.1", "address other hosts and the gateway reach this host's containers on")
	f.StringVar(&c.Zone, "zone", "", "availability zone")
	f.StringArrayVar(&labels, "label", nil, "host label k=v for placement constraints (repeatable)")
	f.Float64Var(&c.CPUs, "cpus", 0, "CPUs offered to apps (default: all)")
	f.StringVar(&c.Memory, "memory", "", "memory offered to apps, e.g. 8g (default: all)")
	f.StringVar(&c.Ports, "ports", "20000-29999", "host port range for instances")
	f.StringVar(&c.LogRelay, "log-relay", "127.0.0.1:5514", "this host's log relay address, UDP and TCP, where its containers log (empty: none)")
	f.StringVar(&c.Syslog, "syslog", "", "send containers' logs here instead of the relay, e.g. tcp://10.0.0.9:5514 (empty: the relay, or Docker's default driver without one)")
	return cmd
}

func devCmd() *cobra.Command {
	var c service.DevConfig
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything on this machine: server, private Postgres, and N agents",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := service.StartDev(cmd.Context(), c)
			if err != nil {
				return err
			}
			d.PrintAddresses(cmd.OutOrStdout())
			<-cmd.Context().Done()
			d.Close()
			return nil
		},
	}
	serverFlags(cmd, &c.Server)
	cmd.Flags().IntVar(&c.Hosts, "hosts", 1, "number of agents, on 127.0.0.1, 127.0.0.2, ...")
	cmd.Flags().StringVar(&c.LogRelayPort, "log-relay-port", "5514", "port of each host's log relay, on the host's address (empty: no relays)")
	cmd.Flags().StringVar(&c.ClientConfig, "client-config", client.ConfigPath(), "write the CLI's config (API URL and an admin token, 0600) here; without --api-token one is made (empty: open API, no config)")
	return cmd
}

func projectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "projections", Short: "Manage the Postgres read models"}
	var c service.ServerConfig
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Replay the event stream from the start into fresh read-model tables",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := service.RebuildProjections(cmd.Context(), c)
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "rebuilt read models from %d events\n", n)
			}
			return err
		},
	}
	rebuild.Flags().StringVar(&c.NATSURL, "nats-url", envOr("BERTH_NATS_URL", "nats://127.0.0.1:4222"), "NATS server ($BERTH_NATS_URL)")
	natsTLSFlags(rebuild, &c.NATSTLS, "NATS client certificate", "CA the NATS server's certificate chains to")
	rebuild.Flags().StringVar(&c.NATSCreds, "nats-creds", os.Getenv("BERTH_NATS_CREDS"), "NATS credential, e.g. <data-dir>/credentials/server.nk ($BERTH_NATS_CREDS)")
	rebuild.Flags().StringVar(&c.DatabaseURL, "database-url", os.Getenv("BERTH_DATABASE_URL"), "PostgreSQL URL ($BERTH_DATABASE_URL)")
	cmd.AddCommand(rebuild)
	return cmd
}

func natsTLSFlags(cmd *cobra.Command, t *natsauth.TLSFiles, certUsage, caUsage string) {
	f := cmd.Flags()
	f.StringVar(&t.Cert, "nats-tls-cert", "", "PEM: "+certUsage)
	f.StringVar(&t.Key, "nats-tls-key", "", "PEM: the key of --nats-tls-cert")
	f.StringVar(&t.CA, "nats-tls-ca", "", "PEM: "+caUsage)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "host1"
	}
	return strings.ToLower(strings.SplitN(h, ".", 2)[0])
}
