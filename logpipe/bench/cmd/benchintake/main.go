// Command benchintake runs Berth's log intake the way `berth server` does
// (syslog TCP intake, enrichment, BERTH_LOGS on an embedded JetStream
// server) and serves its counters at /stats, so .ci/bench-logpipe.sh can
// time it side by side with rsyslog.
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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintf(os.Stderr, "benchintake: %v\n", err)
		os.Exit(1)
	}
}
