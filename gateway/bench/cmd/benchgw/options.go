package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/gateway/routing"
)

// options are benchgw's flags.
type options struct {
	Listen    string
	App       string
	Domain    string
	Endpoints []string
	// Weights, when set, make endpoint i release i+1 with weight
	// Weights[i], so the weighted release path is measured.
	Weights []int
	// Pprof, when set, serves net/http/pprof there for profiling under load.
	Pprof string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var endpoints, weights string
	fs := flag.NewFlagSet("benchgw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:18080", "user-facing address of the gateway")
	fs.StringVar(&o.App, "app", "web", "app name; requests for Host <app>.<domain> are routed")
	fs.StringVar(&o.Domain, "domain", "localhost", "gateway domain")
	fs.StringVar(&endpoints, "endpoints", "", "comma-separated host:port of the app's endpoints")
	fs.StringVar(&weights, "weights", "", "comma-separated release weights, one per endpoint (endpoint i is release i+1); empty: no releases")
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
	var bad []error
	for w := range strings.SplitSeq(weights, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		n, err := strconv.Atoi(w)
		if err != nil {
			bad = append(bad, fmt.Errorf("weight %q: not an integer", w))
			continue
		}
		o.Weights = append(o.Weights, n)
	}
	return o, errors.Join(append(bad, o.Validate())...)
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
	if len(o.Weights) > 0 && len(o.Weights) != len(o.Endpoints) {
		errs = append(errs, fmt.Errorf("%d weights for %d endpoints: give one per endpoint", len(o.Weights), len(o.Endpoints)))
	}
	for _, w := range o.Weights {
		if w < 0 || w > routing.MaxWeight {
			errs = append(errs, fmt.Errorf("weight %d is outside 0..%d", w, routing.MaxWeight))
		}
	}
	if o.Pprof != "" && o.Pprof == o.Listen {
		errs = append(errs, fmt.Errorf("pprof address %q must differ from listen", o.Pprof))
	}
	return errors.Join(errs...)
}
