package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/projections/readapi"
)

// appData is the app page.
type appData struct {
	Name string
	// Live is false when the time slider looks at the past.
	Live bool
	Time TimeView
	// Slider bounds and position, in Unix milliseconds.
	SliderMin, SliderMax, SliderAt int64
	Releases                       ReleasesPanel
	Charts                         []Chart
	// Usage is each instance's latest sample; only when live.
	Usage      map[string]*events.InstanceSample
	Traffic    Traffic
	HasTraffic bool
	Autoscale  []EventRow
	Policy     string
	Timeline   []EventRow
	// Done names what an action just appended.
	Done string
	// Logs: the log panel is on (the server has log search).
	Logs bool
}

// aroundT is how many events the slider lists before and after its moment.
const aroundT = 6

func (d *Dashboard) appPage(r *http.Request, v *view) (string, error) {
	ctx := r.Context()
	name := r.PathValue("app")
	if err := commands.ValidateAppName(name); err != nil {
		return "", err
	}
	projectedAt := d.seen(r)
	recs, last, err := d.cfg.Log.Load(ctx, events.App(name), 0)
	if err != nil {
		return "", fmt.Errorf("load app %s: %w", name, err)
	}
	if len(recs) == 0 {
		return "", fmt.Errorf("app %s has no history; deploy it with `berth deploy %s --image IMAGE`: %w", name, name, commands.ErrNotFound)
	}
	now := d.cfg.Now()
	at, live, err := sliderTime(r.URL.Query().Get("at"), now)
	if err != nil {
		return "", err
	}
	data := appData{Name: name, Live: live, Time: timeAt(name, recs, at, aroundT), Done: r.URL.Query().Get("done"), Logs: d.cfg.API != nil}
	// Whole seconds: the slider steps by one second from its minimum.
	data.SliderMin = recs[0].Time.Truncate(time.Second).UnixMilli()
	data.SliderMax, data.SliderAt = now.UnixMilli(), at.UnixMilli()
	if data.Releases, err = d.releasesPanel(ctx, name); err != nil {
		return "", err
	}
	data.Releases.Actions, data.Releases.CSRF, data.Releases.Past = v.CanAct && live, v.CSRF, !live
	m := d.metrics.App(name, now)
	data.Traffic, data.HasTraffic = m.Current, m.HasCurrent
	if live {
		data.Usage = map[string]*events.InstanceSample{}
		for id, s := range m.Latest {
			data.Usage[id] = &s
		}
	}
	data.Charts = appCharts(m, now)
	if data.Autoscale, data.Policy, err = d.autoscale(r, name); err != nil {
		return "", err
	}
	hist, err := d.cfg.Reads.History(ctx, name, readapi.HistoryQuery{Limit: 50, Desc: true})
	if err != nil {
		return "", err
	}
	for _, e := range hist {
		data.Timeline = append(data.Timeline, row(uint64(e.Seq), e.Time, e.Subject, e.Type, e.Data))
	}
	v.Title, v.Data = name, data
	// The stream resumes after what both sources of the page have shown.
	v.Stream = "/ui/stream?app=" + name + "&after=" + strconv.FormatUint(min(last, projectedAt), 10)
	return "app", nil
}

// sliderTime reads ?at= (RFC 3339 or Unix milliseconds); absent or in
// the future means live.
func sliderTime(v string, now time.Time) (time.Time, bool, error) {
	if v == "" {
		return now, true, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		ms, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return time.Time{}, false, &commands.FieldError{Field: "at", Problem: fmt.Sprintf("%q is not a time like 2026-01-02T15:04:05Z or Unix milliseconds", v)}
		}
		t = time.UnixMilli(ms)
	}
	if !t.Before(now) {
		return now, true, nil
	}
	return t, false, nil
}

// appCharts draws the last Window of the app's traffic and CPU.
func appCharts(m AppMetrics, now time.Time) []Chart {
	from := now.Add(-Window)
	rps, p95 := Series{Name: "requests/s"}, Series{Name: "p95"}
	for _, t := range m.Traffic {
		rps.Points = append(rps.Points, Point{T: t.T, V: t.RPS})
		p95.Points = append(p95.Points, Point{T: t.T, V: t.P95MS})
	}
	return []Chart{
		plot("Requests", "req/s", []Series{rps}, from, now, 600, 120),
		plot("Latency p95", "ms", []Series{p95}, from, now, 600, 120),
		plot("CPU per instance", "%", m.CPU, from, now, 600, 120),
	}
}

// autoscale lists the app's last decisions and describes its policy.
func (d *Dashboard) autoscale(r *http.Request, app string) ([]EventRow, string, error) {
	a, err := d.cfg.Reads.App(r.Context(), app)
	if errors.Is(err, readapi.ErrNotFound) {
		return nil, "", nil // its history is there, its row not yet
	}
	if err != nil {
		return nil, "", err
	}
	policy := ""
	if len(a.Autoscale) > 0 && string(a.Autoscale) != "null" {
		policy = summarize(a.Autoscale)
	}
	decs, err := d.cfg.Reads.History(r.Context(), app, readapi.HistoryQuery{
		Type: events.CloudEventsTypePrefix + "app.autoscale_decided", Limit: 10, Desc: true})
	if err != nil {
		return nil, "", err
	}
	var out []EventRow
	for _, e := range decs {
		out = append(out, row(uint64(e.Seq), e.Time, e.Subject, e.Type, e.Data))
	}
	return out, policy, nil
}
