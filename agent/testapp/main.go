package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if code, ok := os.LookupEnv("TESTAPP_EXIT_AT_START"); ok {
		n, err := strconv.Atoi(code)
		if err != nil {
			fmt.Fprintf(os.Stderr, "TESTAPP_EXIT_AT_START=%q: %v\n", code, err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "exiting at start with code %d\n", n)
		os.Exit(n)
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "testapp: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.ExitAtStart != 0 {
		fmt.Fprintf(os.Stderr, "testapp: exiting with %d at start, as TESTAPP_EXIT_AT_START asks\n", cfg.ExitAtStart)
		os.Exit(cfg.ExitAtStart)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	a := newApp(cfg, os.Stdout, os.Exit)
	log := a.log
	if cfg.LogEvery > 0 {
		a.ticker = startTicker(ctx, cfg.LogEvery, a.out)
	}
	srv := &http.Server{
		Addr:              ":" + cfg.Port,
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", srv.Addr, "app", cfg.App, "instance", cfg.Instance)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
