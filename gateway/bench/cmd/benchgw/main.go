// Command benchgw serves Berth's gateway over a fixed routing table, so
// .ci/bench-gateway.sh can load it side by side with nginx and Caddy.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "benchgw: %v\n", err)
		os.Exit(1)
	}
}
