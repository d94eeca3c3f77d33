package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/logpipe/bench"
)

// pollEvery is how often the receiver's progress is checked; it bounds
// the error on the measured time.
const pollEvery = 10 * time.Millisecond

type options struct {
	send      bench.SendConfig
	waitFile  string
	waitStats string
	timeout   time.Duration
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loggen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.send.Addr, "addr", "127.0.0.1:5514", "receiver's TCP host:port")
	fs.IntVar(&o.send.Conns, "conns", 4, "TCP connections")
	fs.IntVar(&o.send.Lines, "lines", 500000, "lines to send in total")
	fs.IntVar(&o.send.Instances, "instances", 8, "instance ids the lines rotate through (bench.InstanceID)")
	fs.StringVar(&o.send.Hostname, "hostname", "benchhost", "syslog HOSTNAME")
	fs.StringVar(&o.waitFile, "wait-file", "", "after sending, wait until this file has -lines lines")
	fs.StringVar(&o.waitStats, "wait-stats", "", "after sending, wait until this stats URL reports -lines Published")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if o.waitFile != "" && o.waitStats != "" {
		errs = append(errs, errors.New("-wait-file and -wait-stats exclude each other"))
	}
	if o.timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %v must be positive", o.timeout))
	}
	return o, errors.Join(append(errs, o.send.Validate())...)
}

// run prints one line: lines, the seconds until every line was written
// (sent_s) and until the receiver had taken them all (done_s, the same
// when not waiting), and lines per second over done_s.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var counter bench.Counter
	switch {
	case o.waitFile != "":
		counter = bench.FileLines(o.waitFile)
	case o.waitStats != "":
		counter = bench.Published(o.waitStats)
	}
	// The receiver may hold lines from an earlier run; count only ours.
	var before uint64
	if counter != nil {
		if before, err = counter(ctx); err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := bench.Send(ctx, o.send)
	if err != nil {
		return err
	}
	done := start.Add(res.Elapsed)
	if counter != nil {
		if done, err = bench.WaitFor(ctx, counter, before+uint64(res.Lines), pollEvery); err != nil {
			return fmt.Errorf("wait for receiver: %w", err)
		}
	}
	took := done.Sub(start)
	fmt.Fprintf(stdout, "lines=%d bytes=%d conns=%d sent_s=%.3f done_s=%.3f lines_per_s=%.0f\n",
		res.Lines, res.Bytes, o.send.Conns, res.Elapsed.Seconds(), took.Seconds(), float64(res.Lines)/took.Seconds())
	return nil
}
