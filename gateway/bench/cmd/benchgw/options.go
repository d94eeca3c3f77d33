package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
)

// options are benchgw's flags.
type options struct {
	Listen    string
	App       string
	Domain    string
	Endpoints []string
	// Pprof, when set, serves net/http/pprof there for profiling under load.
	Pprof string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var endpoints string
	fs := flag.NewFlagSet("benchgw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:18080", "user-facing address of the gateway")
	fs.StringVar(&o.App, "app", "web", "app name; requests for Host <app>.<domain> are routed")
	fs.StringVar(&o.Domain, "domain", "localhost", "gateway domain")
	fs.StringVar(&endpoints, "endpoints", "", "comma-separated host:port of the app's endpoints")
	fs.StringVar(&o.Pprof, "pprof", "", "address for net/http/pprof (off when empty)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for e := range strings.SplitSeq(endpoints, ",") {
		if e = strings.TrimSpace(e); e != "" {
			o.Endpoints = append(o.Endpoints, e)
		}
	}
	return o, o.Validate()
}

// Validate reports every problem at once.
func (o options) Validate() error {
	var errs []error
	if o.App == "" {
		errs = append(errs, errors.New("app is empty"))
	}
	if len(o.Endpoints) == 0 {
		errs = append(errs, errors.New("no endpoints"))
	}
	for _, e := range o.Endpoints {
		if _, _, err := net.SplitHostPort(e); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q: %w", e, err))
		}
	}
	if o.Pprof != "" && o.Pprof == o.Listen {
		errs = append(errs, fmt.Errorf("pprof address %q must differ from listen", o.Pprof))
	}
	return errors.Join(errs...)
}
