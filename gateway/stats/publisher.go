package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/events"
)

// DefaultPublishEvery is how often the publisher ships snapshots.
const DefaultPublishEvery = 5 * time.Second

// Conn is the part of a NATS connection the publisher needs.
type Conn interface {
	Publish(subject string, data []byte) error
}

// Snapshotter yields the apps to report, their window stats and their
// traffic per release since the previous drain.
type Snapshotter interface {
	Apps() []string
	Snapshot(app string) Stats
	DrainReleases(app string) []events.ReleaseTraffic
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Gateway names this gateway in reports, so readers can sum gateways.
	Gateway string
	// Every is the publish period; default DefaultPublishEvery.
	Every  time.Duration
	Logger *slog.Logger
}

func (c *PublisherConfig) setDefaults() {
	if c.Every == 0 {
		c.Every = DefaultPublishEvery
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports every problem with the config.
func (c PublisherConfig) Validate() error {
	var errs []error
	if c.Gateway == "" {
		errs = append(errs, errors.New("gateway name is empty"))
	}
	if c.Every < 0 {
		errs = append(errs, fmt.Errorf("publish period %v is negative", c.Every))
	}
	return errors.Join(errs...)
}

// Publisher periodically publishes every app's window as an
// events.GatewaySample on core NATS: metrics are ephemeral, so not JetStream.
// Each sample also carries the app's traffic per release since this
// publisher's previous sample of it, so periods never overlap. A gateway
// has one publisher: it drains what it reports.
type Publisher struct {
	conn Conn
	src  Snapshotter
	cfg  PublisherConfig

	mu    sync.Mutex
	start time.Time            // the first period of every app begins here (earlier traffic falls into it)
	last  map[string]time.Time // app -> end of its previous period
}

// NewPublisher publishes src's stats on conn.
func NewPublisher(conn Conn, src Snapshotter, cfg PublisherConfig) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("publisher config: %w", err)
	}
	return &Publisher{conn: conn, src: src, cfg: cfg, start: time.Now(), last: map[string]time.Time{}}, nil
}

// Run publishes every period until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	tick := time.NewTicker(p.cfg.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			if err := p.PublishOnce(now); err != nil {
				// A disconnected NATS must not stop the gateway; the next
				// tick carries fresh numbers anyway.
				p.cfg.Logger.Warn("publish gateway stats", "err", err)
			}
		}
	}
}

// PublishOnce publishes one report per app. The per-release traffic is
// drained even when publishing fails: a lost sample loses its period, it
// never gets counted twice.
func (p *Publisher) PublishOnce(now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, app := range p.src.Apps() {
		s := p.src.Snapshot(app)
		since, ok := p.last[app]
		if !ok {
			since = p.start
		}
		p.last[app] = now
		body, err := json.Marshal(events.GatewaySample{
			Releases: p.src.DrainReleases(app),
			PeriodMS: max(now.Sub(since).Milliseconds(), 1),
			App:      app,
			Gateway:  p.cfg.Gateway,
			Requests: s.Requests,
			RPS:      s.RPS,
			P50MS:    ms(s.P50),
			P95MS:    ms(s.P95),
			WindowMS: s.Window.Milliseconds(),
			Time:     now.UTC(),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("encode stats of %q: %w", app, err))
			continue
		}
		if err := p.conn.Publish(events.GatewayMetricsSubject(app), body); err != nil {
			errs = append(errs, fmt.Errorf("publish stats of %q: %w", app, err))
		}
	}
	return errors.Join(errs...)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
