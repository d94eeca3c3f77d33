package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/commands"
	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
)

// target is what one evaluation needs of an app, copied out of the view.
type target struct {
	app      string
	policy   events.AutoscalePolicySet
	replicas int
	live     map[string]bool
	seq      uint64
}

func targets(v *clusterview.View) []target {
	var ts []target
	for name, app := range v.Apps {
		if app.Autoscale == nil || !app.Exists || app.Stopped {
			continue
		}
		live := map[string]bool{}
		for id, inst := range app.Instances {
			if inst.Live() {
				live[id] = true
			}
		}
		ts = append(ts, target{app: name, policy: *app.Autoscale, replicas: app.Spec.Replicas, live: live, seq: app.Seq})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].app < ts[j].app })
	return ts
}

// evaluate takes one reading of every app with a policy and acts on it.
func (a *Autoscaler) evaluate(ctx context.Context, now time.Time) {
	defer a.evaluations.Add(1)
	var ts []target
	a.view.Read(func(v *clusterview.View) { ts = targets(v) })
	seen := map[string]bool{}
	for _, t := range ts {
		seen[t.app] = true
		hist := append(a.history[t.app], a.samples.reading(t.app, t.live, now, a.cfg.StaleAfter))
		if len(hist) > a.cfg.Rules.Sustain {
			hist = hist[len(hist)-a.cfg.Rules.Sustain:]
		}
		a.history[t.app] = hist
		d := a.cfg.Rules.Decide(t.policy, t.replicas, Inputs{Readings: hist}, now, a.lastActions(t.app))
		if d.Hold {
			if a.lastHold[t.app] != d.Rule {
				a.cfg.Logger.Debug("autoscale hold", "app", t.app, "replicas", t.replicas, "rule", d.Rule, "reason", d.Reason)
				a.lastHold[t.app] = d.Rule
			}
			continue
		}
		delete(a.lastHold, t.app)
		a.execute(ctx, t, d, now)
	}
	for app := range a.history {
		if !seen[app] {
			delete(a.history, app)
			delete(a.lastHold, app)
		}
	}
	a.samples.expire(now, a.cfg.StaleAfter)
}

// execute records a change. The idempotency key names the app state the
// decision was made on: a second decision on the same state, by this copy
// (its view not yet showing its own change) or another, is a duplicate.
func (a *Autoscaler) execute(ctx context.Context, t target, d Decision, now time.Time) {
	dec := events.AutoscaleDecided{App: t.app, From: t.replicas, To: d.To, Rule: d.Rule, Reason: d.Reason, Inputs: d.Inputs}
	key := fmt.Sprintf("autoscale-%d", t.seq)
	res, err := a.exec.Execute(ctx, t.app, key, commands.RecordAutoscale{Decision: dec}.Decide)
	log := a.cfg.Logger.With("app", t.app, "from", t.replicas, "to", d.To, "rule", d.Rule)
	switch {
	case errors.Is(err, commands.ErrRejected) || errors.Is(err, commands.ErrNotFound):
		log.Debug("autoscale decision is stale", "err", err)
	case err != nil:
		if ctx.Err() == nil {
			log.Warn("record autoscale decision", "err", err)
		}
	case res.Duplicate:
		log.Debug("autoscale decision already recorded")
	default:
		log.Info("autoscaled", "reason", d.Reason)
		a.noteScaled(t.app, now)
	}
}
