package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// tick writes "tick N" to out every period until ctx ends; it gives log tests a steady stream.
func tick(ctx context.Context, period time.Duration, out io.Writer) {
	t := time.NewTicker(period)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintf(out, "tick %d\n", n)
		}
	}
}
