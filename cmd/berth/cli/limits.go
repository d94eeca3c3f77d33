package cli

import (
	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/cmd/berth/service"
	"github.com/berth-dev/berth/gateway"
)

// limitFlags are the server's protections (README, "Limits and defaults").
func limitFlags(cmd *cobra.Command, l *service.Limits) {
	f := cmd.Flags()
	f.IntVar(&l.MaxLogFollowers, "max-log-follows", 64, "concurrent log follows this server serves (429 beyond)")
	f.IntVar(&l.MaxEventStreams, "max-event-streams", 64, "concurrent event streams this server serves (429 beyond)")
	f.StringVar(&l.DefaultMemory, "default-memory", "512m", "memory limit of apps deployed without --memory (0: none)")
	f.DurationVar(&l.GatewayReadTimeout, "gateway-read-timeout", gateway.DefaultReadTimeout, "gateway: longest time to read a whole request, body included")
	f.DurationVar(&l.GatewayBodyTimeout, "gateway-body-timeout", gateway.DefaultBodyReadTimeout, "gateway: longest wait for more of a request body")
	f.IntVar(&l.GatewayConnsPerClient, "gateway-conns-per-client", gateway.DefaultMaxConnsPerClient, "gateway: open connections one client address may hold")
	f.StringSliceVar(&l.CapAddAllow, "cap-add-allow", nil, "capabilities deploys may add with --cap-add, e.g. NET_RAW,SYS_PTRACE (default: none)")
}
