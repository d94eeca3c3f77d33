package scheduler

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/berth-dev/berth/events/appstate"

	"github.com/berth-dev/berth/events"
	"github.com/berth-dev/berth/workers/clusterview"
	"github.com/berth-dev/berth/workers/placement"
)

// maxClaimRounds bounds how often one decision is recomputed because ports
// it chose turned out claimed by someone else.
const maxClaimRounds = 16

// round is one reconcile of one app: the decider the handler runs (again,
// on fresher state, after a conflict) and the port claims it made for a
// decision not yet appended. Each run of the decider brings the claims in
// line with its own plan, so once the handler returns, the claims are
// exactly those of what it appended.
type round struct {
	s       *Scheduler
	ctx     context.Context
	ids     idSeq
	pending map[string]pendingClaim // claim key -> claim made in this round
	taken   map[string]map[int]bool // host -> ports found claimed by others
	more    bool
}

type pendingClaim struct {
	host     string
	port     int
	instance string
	rev      uint64
}

func (s *Scheduler) newRound(ctx context.Context, app string) *round {
	return &round{s: s, ctx: ctx, ids: idSeq{gen: placement.NewIDs(app)},
		pending: map[string]pendingClaim{}, taken: map[string]map[int]bool{}}
}

// decide is the commands.Decider: Decide on the app's fresh state and the
// view's hosts and other apps, then claim the chosen ports, deciding again
// around ports someone else holds.
func (r *round) decide(app *appstate.App) ([]events.Event, error) {
	var hosts []placement.Host
	r.s.view.Read(func(v *clusterview.View) { hosts = hostsOf(v) })
	var others []placement.Instance
	in := Input{App: app, Hosts: hosts, MaxEvents: r.s.cfg.MaxEvents,
		Others: func() []placement.Instance {
			if others == nil {
				r.s.view.Read(func(v *clusterview.View) {
					others = r.s.occupants.others(v, app.Name, len(app.Instances))
				})
			}
			return others
		}}
	for range maxClaimRounds {
		var d Decision
		r.s.claims.read(func(reserved map[string]map[int]bool) {
			in.Reserved = r.overlay(reserved)
			in.NewID = r.ids.replay()
			d = Decide(in)
		})
		ok, err := r.claim(d.Place)
		if err != nil {
			return nil, err
		}
		if ok {
			r.more = d.More
			return d.Events, nil
		}
	}
	return nil, fmt.Errorf("ports still contended after %d tries", maxClaimRounds)
}

// overlay is reserved with this round's own claims free (its plan may keep
// them) and the ports it lost reserved.
func (r *round) overlay(reserved map[string]map[int]bool) map[string]map[int]bool {
	if len(r.pending) == 0 && len(r.taken) == 0 {
		return reserved
	}
	out := maps.Clone(reserved)
	if out == nil {
		out = map[string]map[int]bool{}
	}
	copied := map[string]bool{}
	host := func(h string) map[int]bool {
		if !copied[h] {
			m := maps.Clone(reserved[h])
			if m == nil {
				m = map[int]bool{}
			}
			out[h], copied[h] = m, true
		}
		return out[h]
	}
	for _, pc := range r.pending {
		host(pc.host)[pc.port] = false
	}
	for h, ports := range r.taken {
		for p := range ports {
			host(h)[p] = true
		}
	}
	return out
}

// claim makes the round's claims exactly places' ports. It reports false
// if some port is held by someone else; those are remembered as taken.
func (r *round) claim(places []placement.Placement) (bool, error) {
	want := make(map[string]placement.Placement, len(places))
	for _, p := range places {
		want[ClaimKey(p.Host, p.Port)] = p
	}
	for key, pc := range r.pending {
		if _, ok := want[key]; ok {
			continue
		}
		if err := r.s.claims.release(r.ctx, key, pc.rev); err != nil {
			return false, err
		}
		delete(r.pending, key)
	}

	var reqs []claimReq
	for key, p := range want {
		old, had := r.pending[key]
		if had && old.instance == p.InstanceID {
			continue
		}
		reqs = append(reqs, claimReq{key: key, host: p.Host, port: p.Port, instance: p.InstanceID, rev: old.rev})
	}
	results := r.s.claims.claimMany(r.ctx, reqs, r.s.cfg.ClaimConcurrency)

	allOK := true
	var firstErr error
	for i, res := range results {
		q := reqs[i]
		switch {
		case res.err != nil:
			if firstErr == nil {
				firstErr = res.err
			}
		case res.ok:
			r.pending[q.key] = pendingClaim{host: q.host, port: q.port, instance: q.instance, rev: res.rev}
		default:
			allOK = false
			delete(r.pending, q.key)
			if r.taken[q.host] == nil {
				r.taken[q.host] = map[int]bool{}
			}
			r.taken[q.host][q.port] = true
		}
	}
	return allOK && firstErr == nil, firstErr
}

// releaseAll drops the claims of a decision that was not appended.
func (r *round) releaseAll() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
	defer cancel()
	for key, pc := range r.pending {
		if err := r.s.claims.release(ctx, key, pc.rev); err != nil {
			r.s.cfg.Logger.Warn("release port claim", "key", key, "err", err)
		}
	}
	clear(r.pending)
}

// idSeq replays the same instance IDs to every decision of a round, so a
// decision recomputed around a taken port keeps most of its claims.
type idSeq struct {
	gen func() string
	ids []string
}

func (s *idSeq) replay() func() string {
	i := 0
	return func() string {
		if i == len(s.ids) {
			s.ids = append(s.ids, s.gen())
		}
		i++
		return s.ids[i-1]
	}
}
