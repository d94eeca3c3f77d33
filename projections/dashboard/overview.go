package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/berth-dev/berth/projections/readapi"
)

// seen is the event the page was asked to show at least (a live refresh
// passes the sequence that triggered it); the read models get a moment
// to apply it. It returns what they have applied, where the page's
// stream resumes.
func (d *Dashboard) seen(r *http.Request) uint64 {
	want, _ := strconv.ParseUint(r.URL.Query().Get("seen"), 10, 64)
	return waitProjected(r.Context(), d.cfg.DB, want, 2*time.Second)
}

// AppRow is one app on the overview.
type AppRow struct {
	readapi.App
	Traffic    Traffic
	HasTraffic bool
	Rollout    RolloutSummary
}

// HostRow is a host with its usage.
type HostRow struct {
	readapi.Host
	Placed []placed
}

type overviewData struct {
	Apps   []AppRow
	Hosts  []HostRow
	Events []EventRow
}

func (d *Dashboard) overview(r *http.Request, v *view) (string, error) {
	at := d.seen(r)
	// The four reads are independent: run them side by side.
	var (
		apps  []readapi.App
		hosts []HostRow
		evs   []EventRow
		ros   map[string]RolloutSummary
	)
	g, ctx := errgroup.WithContext(r.Context())
	g.Go(func() (err error) { apps, err = d.cfg.Reads.Apps(ctx); return err })
	g.Go(func() (err error) { hosts, err = d.hosts(ctx); return err })
	g.Go(func() (err error) { evs, err = recentEvents(ctx, d.cfg.DB, 20); return err })
	g.Go(func() (err error) { ros, err = rolloutSummaries(ctx, d.cfg.DB); return err })
	if err := g.Wait(); err != nil {
		return "", err
	}
	now := d.cfg.Now()
	data := overviewData{Hosts: hosts, Events: evs}
	for _, a := range apps {
		m := d.metrics.App(a.Name, now)
		data.Apps = append(data.Apps, AppRow{App: a, Traffic: m.Current, HasTraffic: m.HasCurrent,
			Rollout: ros[a.Name]})
	}
	v.Title, v.Nav, v.Data = "Overview", "overview", data
	v.Stream = "/ui/stream?after=" + strconv.FormatUint(at, 10)
	return "overview", nil
}

// hosts lists the hosts with what each holds.
func (d *Dashboard) hosts(ctx context.Context) ([]HostRow, error) {
	hs, err := d.cfg.Reads.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	byHost, err := placedInstances(ctx, d.cfg.DB)
	if err != nil {
		return nil, err
	}
	out := make([]HostRow, 0, len(hs))
	for _, h := range hs {
		out = append(out, HostRow{Host: h, Placed: byHost[h.ID]})
	}
	return out, nil
}
