package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/record"
)

// Instances tells which app an instance on this host belongs to; the
// agent knows, since it runs them.
type Instances interface {
	AppOf(instance string) (app string, ok bool)
}

// AppsFunc adapts a function to Instances.
type AppsFunc func(instance string) (string, bool)

// AppOf calls f.
func (f AppsFunc) AppOf(instance string) (string, bool) { return f(instance) }

// Config configures a Relay.
type Config struct {
	// Addr is where it listens, TCP and UDP: a loopback address of the
	// host, since Docker's daemon on the same host is the only sender.
	Addr string
	// Host is this host's id, written on every record.
	Host string
	// Intake tunes the receiver; its addresses are taken from Addr.
	Intake intake.Config
	// Backfill, when set, is read once at start for the lines containers
	// wrote while no relay listened (see backfill.go).
	Backfill Source
	Logger   *slog.Logger
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("relay address %q: %w", c.Addr, err))
	}
	if c.Host == "" {
		errs = append(errs, errors.New("relay host id is required"))
	}
	return errors.Join(errs...)
}

// Relay receives syslog on one host and publishes to BERTH_LOGS.
type Relay struct {
	in      *intake.Server
	js      jetstream.JetStream
	sink    enrich.Publisher // ungated, for the backfill
	gate    *gatedSink
	src     Source
	attr    *attribution
	log     *slog.Logger
	started time.Time // when it began listening
}

// Listen binds the relay's sockets; nothing is read until Run. The log
// stream need not exist yet: until the server has created it, batches
// are retried and held within the intake's memory bound.
func Listen(cfg Config, js jetstream.JetStream, instances Instances) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if instances == nil {
		return nil, errors.New("relay: instances is nil")
	}
	pub, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		return nil, err
	}
	ic := cfg.Intake
	ic.TCPAddr, ic.UDPAddr = cfg.Addr, cfg.Addr
	// Docker keeps one connection per container: far fewer than the
	// central intake's defaults allow.
	if ic.MaxConns == 0 {
		ic.MaxConns = DefaultMaxConns
	}
	if ic.IdleTimeout == 0 {
		ic.IdleTimeout, ic.IdleAbove = DefaultIdleTimeout, DefaultIdleAbove
	}
	if ic.Logger == nil {
		ic.Logger = cfg.Logger
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := hostDirectory{host: cfg.Host, instances: instances}
	sink := enrich.New(dir).Wrap(pub)
	attr := newAttribution(instances, cfg.Backfill)
	// Docker can connect and write as soon as the socket is bound: lines
	// from then on are the intake's, earlier ones the backfill's.
	started := time.Now()
	gate := &gatedSink{open: make(chan struct{}), next: attr.Wrap(sink)}
	if cfg.Backfill == nil {
		close(gate.open)
	} else {
		gate.seen = newBoundary(started)
	}
	in, err := intake.Listen(ic, gate)
	if err != nil {
		return nil, fmt.Errorf("log relay: %w", err)
	}
	return &Relay{in: in, js: js, sink: sink, gate: gate, src: cfg.Backfill, attr: attr, log: log, started: started}, nil
}

// gatedSink holds the intake's batches until open is closed (the intake
// keeps receiving meanwhile, within its memory bound). It also notes, for
// the backfill, what arrives over syslog from around the restart.
type gatedSink struct {
	open     chan struct{}
	openOnce sync.Once
	next     enrich.Publisher
	seen     *boundary
}

func (g *gatedSink) Publish(ctx context.Context, recs []record.Record) error {
	if g.seen != nil {
		g.seen.observe(recs)
	}
	select {
	case <-g.open:
		return g.next.Publish(ctx, recs)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedSink) release() { g.openOnce.Do(func() { close(g.open) }) }

// Addr is the bound TCP address: where this host's containers log.
func (r *Relay) Addr() net.Addr { return r.in.TCPAddr() }

// Limits of a relay's connections.
const (
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = time.Minute
	// DefaultIdleAbove: idle connections are closed only while more than
	// this many are open (a host's containers each keep one).
	DefaultIdleAbove = 128
)

// Stats are the relay's counters.
type Stats struct {
	intake.Stats
	// Unattributed counts records dropped because their tag names no
	// instance on this host (junk, malformed input, forgeries).
	Unattributed uint64
}

// reportDrops logs, at most once per every, how much input was malformed,
// unattributed or truncated since the last report, so junk is visible
// without storing it.
func (r *Relay) reportDrops(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last Stats
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st := r.Stats()
			if st.Unattributed != last.Unattributed || st.Malformed != last.Malformed || st.Truncated != last.Truncated || st.IdleClosed != last.IdleClosed {
				r.log.Warn("log relay dropped or closed input",
					"unattributed", st.Unattributed-last.Unattributed, "malformed", st.Malformed-last.Malformed,
					"truncated", st.Truncated-last.Truncated, "idle_closed", st.IdleClosed-last.IdleClosed,
					"rejected_conns_total", st.RejectedConns)
			}
			last = st
		}
	}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() Stats {
	return Stats{Stats: r.in.Stats(), Unattributed: r.attr.dropped.Load()}
}

// Run serves until ctx ends, then drains what it holds to the bus. With a
// Backfill source it first recovers, alongside, what containers wrote
// while no relay listened.
func (r *Relay) Run(ctx context.Context) error {
	reportCtx, stopReports := context.WithCancel(ctx)
	defer stopReports()
	go r.reportDrops(reportCtx, time.Minute)
	if r.src == nil {
		return r.in.Run(ctx)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.gate.release()
		defer r.gate.seen.settle()
		if err := r.backfill(ctx, r.gate.release); err != nil && ctx.Err() == nil {
			r.log.Warn("log backfill gave up", "err", err)
		}
	}()
	err := r.in.Run(ctx)
	<-done
	return err
}

// hostDirectory knows every record it sees comes from this host; the app
// comes from the agent, or failing that from the instance id.
type hostDirectory struct {
	host      string
	instances Instances
}

func (d hostDirectory) Lookup(instance string) (enrich.InstanceInfo, bool) {
	app, _ := d.instances.AppOf(instance)
	return enrich.InstanceInfo{App: app, Host: d.host}, true
}

// Close releases the sockets of a relay that will not Run.
func (r *Relay) Close() { r.in.Close() }
