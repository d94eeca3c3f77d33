package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/berth-dev/berth/cmd/berth/client"
)

// rolloutView is GET /v1/apps/{app}/rollout's answer, as far as the CLI
// reads it.
type rolloutView struct {
	ID           int64       `json:"id"`
	App          string      `json:"app"`
	Release      int         `json:"release"`
	From         int         `json:"from"`
	Rollback     bool        `json:"rollback"`
	Strategy     string      `json:"strategy"`
	Status       string      `json:"status"`
	Step         int         `json:"step"`
	Weight       int         `json:"weight"`
	KeepOld      int         `json:"keep_old"`
	RolledBackTo *int        `json:"rolled_back_to"`
	Reason       string      `json:"reason"`
	Inputs       *inputsView `json:"inputs"`
	Steps        []stepView  `json:"steps"`
	raw          json.RawMessage
}

type stepView struct {
	Seq    int64       `json:"seq"`
	Event  string      `json:"event"`
	Step   int         `json:"step"`
	Weight int         `json:"weight"`
	Reason string      `json:"reason"`
	Inputs *inputsView `json:"inputs"`
}

type inputsView struct {
	Desired   int     `json:"desired"`
	Healthy   int     `json:"healthy"`
	Available int     `json:"available"`
	OldLive   int     `json:"old_live"`
	Failures  int     `json:"failures"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	P99MS     float64 `json:"p99_ms"`
}

// rolloutPath is the rollout read endpoint: the app's latest rollout, or
// with release > 0 the latest of that release.
func rolloutPath(app string, release int) string {
	p := "/v1/apps/" + url.PathEscape(app) + "/rollout"
	if release > 0 {
		p += fmt.Sprintf("?release=%d", release)
	}
	return p
}

// fetchRollout gets a rollout; found is false when there is none (404).
func (g *globals) fetchRollout(ctx context.Context, app string, release int) (ro rolloutView, found bool, err error) {
	var raw json.RawMessage
	err = g.client().Do(ctx, "GET", rolloutPath(app, release), nil, "", &raw)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return ro, false, nil
	}
	if err != nil {
		return ro, false, err
	}
	if err := json.Unmarshal(raw, &ro); err != nil {
		return ro, false, fmt.Errorf("decode rollout of %s: %w", app, err)
	}
	ro.raw = raw
	return ro, true, nil
}

// follow polls a rollout newer than after (a rollout id) until it ends,
// printing each of its steps once to w. release > 0 follows that
// release's rollout; 0 follows whichever rollout is the app's latest when
// one newer than after appears. It fails with the reason unless the
// rollout succeeded.
func (g *globals) follow(ctx context.Context, w io.Writer, app string, release int, after int64, timeout time.Duration) (rolloutView, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		printed int64
		waiting bool
		lastErr error
	)
	for {
		// Only the latest poll's error explains a timeout: an early 404
		// (the read models catching up) must not be reported as the cause.
		lastErr = nil
		ro, found, err := g.fetchRollout(ctx, app, release)
		switch {
		case err != nil:
			lastErr = err
		case found && ro.ID > after:
			if release == 0 {
				release = ro.Release // pin it: a newer rollout must not take its place
			}
			for _, s := range ro.Steps {
				if s.Seq > printed {
					fmt.Fprintln(w, stepLine(ro, s))
					printed = s.Seq
				}
			}
			if terminal(ro.Status) {
				return ro, outcome(ro)
			}
		default:
			sup, none, err := g.supersededBefore(ctx, app, release, after)
			switch {
			case err != nil:
				lastErr = err
			case sup != nil:
				return *sup, fmt.Errorf("release %d of %s was superseded by release %d before its rollout started", release, app, sup.Release)
			case none && release > 0:
				// An app that never had a rollout (a server without the
				// rollout worker) is done when the release is healthy.
				if ok, line, err := g.releaseHealthy(ctx, app, release); err != nil {
					lastErr = err
				} else if ok {
					fmt.Fprintln(w, line)
					return rolloutView{}, nil
				}
			}
			if !waiting {
				what := "a rollout"
				if release > 0 {
					what = fmt.Sprintf("the rollout of release %d", release)
				}
				fmt.Fprintf(w, "%s: waiting for %s to start\n", app, what)
				waiting = true
			}
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return rolloutView{}, fmt.Errorf("following the rollout of %s: %w", app, lastErr)
			}
			return rolloutView{}, fmt.Errorf("the rollout of %s did not end within %s", app, timeout)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// supersededBefore returns the app's latest rollout when it brings in a
// release newer than release, started after after: release's own rollout
// will then never come. none reports that the app has no rollout at all.
func (g *globals) supersededBefore(ctx context.Context, app string, release int, after int64) (sup *rolloutView, none bool, err error) {
	if release == 0 {
		return nil, false, nil
	}
	latest, found, err := g.fetchRollout(ctx, app, 0)
	if err != nil || !found || latest.ID <= after || latest.Release <= release || latest.Rollback {
		return nil, !found && err == nil, err
	}
	return &latest, false, nil
}

// releaseHealthy reports whether the app's replicas are healthy instances
// of release.
func (g *globals) releaseHealthy(ctx context.Context, app string, release int) (bool, string, error) {
	var a map[string]any
	var raw json.RawMessage
	if err := g.client().Do(ctx, "GET", "/v1/apps/"+url.PathEscape(app), nil, "", &a); err != nil {
		return false, "", err
	}
	if err := g.client().Do(ctx, "GET", "/v1/apps/"+url.PathEscape(app)+"/instances", nil, "", &raw); err != nil {
		return false, "", err
	}
	insts, err := rowsOf(raw)
	if err != nil {
		return false, "", err
	}
	want, healthy := int(num(a["replicas"])), 0
	for _, i := range insts {
		if int(num(i["version"])) == release && i["state"] == "healthy" {
			healthy++
		}
	}
	return healthy >= want, fmt.Sprintf("%s release %d: healthy %d/%d (no rollout)", app, release, healthy, want), nil
}

func terminal(status string) bool {
	switch status {
	case "succeeded", "rolled_back", "failed", "superseded":
		return true
	}
	return false
}

// outcome is nil for a rollout that succeeded or still runs, otherwise an
// error with its reason.
func outcome(ro rolloutView) error {
	switch ro.Status {
	case "rolled_back":
		to := ""
		if ro.RolledBackTo != nil {
			to = fmt.Sprintf(" to release %d", *ro.RolledBackTo)
		}
		return fmt.Errorf("release %d of %s rolled back%s: %s", ro.Release, ro.App, to, ro.Reason)
	case "failed":
		return fmt.Errorf("the rollout of release %d of %s failed: %s", ro.Release, ro.App, ro.Reason)
	case "superseded":
		return fmt.Errorf("the rollout of release %d of %s was %s", ro.Release, ro.App, ro.Reason)
	}
	return nil
}

// stepLine renders one step of a rollout for a person.
func stepLine(ro rolloutView, s stepView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s release %d: ", ro.App, ro.Release)
	switch s.Event {
	case "started":
		kind := "rollout"
		if ro.Rollback {
			kind = "rollback"
		}
		fmt.Fprintf(&b, "%s started (%s", kind, ro.Strategy)
		if ro.From > 0 {
			fmt.Fprintf(&b, ", from release %d", ro.From)
		}
		b.WriteString(")")
	case "stepped":
		fmt.Fprintf(&b, "step %d", s.Step)
		if ro.Strategy == "canary" {
			fmt.Fprintf(&b, ", weight %d%%", s.Weight)
		}
	case "rolled_back":
		b.WriteString("rolled back")
		if ro.RolledBackTo != nil {
			fmt.Fprintf(&b, " to release %d", *ro.RolledBackTo)
		}
	default:
		b.WriteString(strings.ReplaceAll(s.Event, "_", " "))
	}
	if in := s.Inputs; in != nil {
		fmt.Fprintf(&b, ", healthy %d/%d", in.Healthy, in.Desired)
		if in.OldLive > 0 {
			fmt.Fprintf(&b, ", old %d", in.OldLive)
		}
		if in.Failures > 0 {
			fmt.Fprintf(&b, ", failures %d", in.Failures)
		}
		if in.Requests > 0 {
			fmt.Fprintf(&b, ", error rate %.2f%% (%d/%d), p99 %.1fms", in.ErrorRate*100, in.Errors, in.Requests, in.P99MS)
		}
	}
	if s.Reason != "" {
		b.WriteString(": " + s.Reason)
	}
	return b.String()
}
