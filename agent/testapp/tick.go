package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ticker writes "tick N" lines at a steady pace, giving log tests a stream
// whose every line they can account for: /ticks/stop ends it and answers
// how many lines were written.
type ticker struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	written  int // read only after done is closed
}

// startTicker writes "tick N" to out every period until ctx ends or Stop.
func startTicker(ctx context.Context, period time.Duration, out io.Writer) *ticker {
	tk := &ticker{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(tk.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.stop:
				return
			case <-t.C:
				tk.written++
				fmt.Fprintf(out, "tick %d\n", tk.written)
			}
		}
	}()
	return tk
}

// Stop ends the ticking and returns how many lines were written.
func (tk *ticker) Stop() int {
	tk.stopOnce.Do(func() { close(tk.stop) })
	<-tk.done
	return tk.written
}

// stopTicks answers GET /ticks/stop with the number of tick lines written.
func (a *app) stopTicks(w http.ResponseWriter, _ *http.Request) {
	if a.ticks == nil {
		http.Error(w, "not ticking: start with TESTAPP_LOG_EVERY", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "%d\n", a.ticks.Stop())
}
