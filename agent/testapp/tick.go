package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ticker writes "tick N" lines at a steady pace, giving log tests a stream
// whose every line they can account for: /ticks/stop ends it and answers
// how many lines were written.
type ticker struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	written  atomic.Int64
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
				fmt.Fprintf(out, "tick %d\n", tk.written.Add(1))
			}
		}
	}()
	return tk
}

// Stop ends the ticking and returns how many lines were written.
func (tk *ticker) Stop() int {
	tk.stopOnce.Do(func() { close(tk.stop) })
	<-tk.done
	return int(tk.written.Load())
}

// Written is how many lines were written so far.
func (tk *ticker) Written() int { return int(tk.written.Load()) }

// ticks answers GET /ticks with the number of tick lines written so far.
func (a *app) ticks(w http.ResponseWriter, _ *http.Request) {
	if a.ticker == nil {
		http.Error(w, "not ticking: start with TESTAPP_LOG_EVERY", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "%d\n", a.ticker.Written())
}

// stopTicks answers GET /ticks/stop with the number of tick lines written.
func (a *app) stopTicks(w http.ResponseWriter, _ *http.Request) {
	if a.ticker == nil {
		http.Error(w, "not ticking: start with TESTAPP_LOG_EVERY", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "%d\n", a.ticker.Stop())
}
