package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/logpipe/bench"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
)

type options struct {
	listen    string
	stats     string
	dataDir   string
	instances int
	pprof     bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("benchintake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:5514", "syslog TCP address")
	fs.StringVar(&o.stats, "stats", "127.0.0.1:5515", "HTTP address serving /stats (intake.Stats as JSON)")
	fs.StringVar(&o.dataDir, "data", "", "JetStream store directory; empty means a temporary one, removed at exit")
	fs.IntVar(&o.instances, "instances", 8, "instance ids (bench.InstanceID) known to the enrichment cache")
	fs.BoolVar(&o.pprof, "pprof", false, "also serve net/http/pprof on the stats address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	for _, a := range []string{o.listen, o.stats} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("address %q: %w", a, err))
		}
	}
	if o.instances < 0 {
		errs = append(errs, fmt.Errorf("instances %d is negative", o.instances))
	}
	return o, errors.Join(errs...)
}

// run serves until ctx ends, then drains intake and prints its final
// counters and the stream's record and message counts. ready, when not nil, gets the
// bound syslog and stats addresses once they accept connections.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(syslog, stats net.Addr)) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if o.dataDir == "" {
		if o.dataDir, err = os.MkdirTemp("", "benchintake-"); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		defer os.RemoveAll(o.dataDir)
	}
	// Lazy fsync, as `berth server` runs JetStream by default.
	ns, err := natsserver.Start(natsserver.Config{DataDir: o.dataDir, Port: natsserver.RandomPort, ServerName: "benchintake", Logger: log})
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL(), nats.Name("benchintake"))
	if err != nil {
		return fmt.Errorf("connect nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	stream, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{})
	if err != nil {
		return err
	}
	pub, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		return err
	}
	cache := enrich.NewCache()
	for i := range o.instances {
		cache.Set(bench.InstanceID(i), enrich.InstanceInfo{App: bench.App, Host: "h1"})
	}
	in, err := intake.Listen(intake.Config{TCPAddr: o.listen, DisableUDP: true, Logger: log}, enrich.New(cache).Wrap(pub))
	if err != nil {
		return err
	}

	statsLn, err := net.Listen("tcp", o.stats)
	if err != nil {
		in.Close()
		return fmt.Errorf("listen stats: %w", err)
	}
	hs := &http.Server{Handler: statsHandler(in, o.pprof), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(statsLn) }()
	defer hs.Close()

	if ready != nil {
		ready(in.TCPAddr(), statsLn.Addr())
	}
	if err := in.Run(ctx); err != nil {
		return err
	}
	st := in.Stats()
	infoCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs, msgs, err := countStored(infoCtx, js, stream)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "received=%d published=%d stored=%d messages=%d malformed=%d dropped=%d publish_errors=%d\n",
		st.Received, st.Published, recs, msgs, st.Malformed, st.Dropped, st.PublishErrors)
	return nil
}

// countStored reads the whole stream and returns how many records and
// messages it holds; a message carries many records.
func countStored(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream) (recs, msgs uint64, err error) {
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("stream info: %w", err)
	}
	if info.State.Msgs == 0 {
		return 0, 0, nil
	}
	cons, err := js.OrderedConsumer(ctx, buffer.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, 0, fmt.Errorf("read stream: %w", err)
	}
	for msgs < info.State.Msgs {
		// Ask for no more than remain, or Fetch waits out its expiry.
		batch, err := cons.Fetch(int(min(1000, info.State.Msgs-msgs)), jetstream.FetchContext(ctx))
		if err != nil {
			return 0, 0, fmt.Errorf("read stream: %w", err)
		}
		for m := range batch.Messages() {
			got, _ := buffer.DecodeMessage(m.Data())
			recs += uint64(len(got))
			msgs++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return 0, 0, fmt.Errorf("read stream: %w", err)
		}
	}
	return recs, msgs, nil
}

func statsHandler(in *intake.Server, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(in.Stats())
	})
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	return mux
}
