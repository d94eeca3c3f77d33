// Command loggen sends RFC 5424 lines over TCP as Docker's syslog driver
// does, as fast as the receiver takes them, optionally waits until the
// receiver has taken them all, and prints the rate.
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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "loggen: %v\n", err)
		os.Exit(1)
	}
}
