package routing

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
)

// MaxWeight bounds one release's weight in a route value.
const MaxWeight = 10000

// maxSchedule bounds the length of an app's weighted schedule; weights
// whose reduced sum is larger are scaled down to fit.
const maxSchedule = 1000

// Release is one release's contiguous run of its app's endpoints.
type Release struct {
	Version int
	// Weight is the release's weight in the route, -1 when the route names
	// it not.
	Weight int
	lo, hi int
	next   atomic.Uint64
}

// Endpoints returns the release's endpoints, sorted by instance.
func (r *Release) Endpoints(a *App) []Endpoint { return a.Endpoints[r.lo:r.hi] }

// Pick is where one request goes: Endpoints[Lo:Hi] first, round-robin from
// Counter; then, unless Pinned, the app's other endpoints.
type Pick struct {
	// Release is the release chosen, 0 when the request goes to every
	// endpoint alike.
	Release int
	Lo, Hi  int
	Counter uint64
	Pinned  bool
}

// Pick chooses the endpoints for one request. pin > 0 pins it to that
// release, whatever its weight; false means that release has no endpoint.
// Otherwise the release comes from the app's smooth weighted round-robin
// schedule, over the weighted releases that have endpoints; with no such
// release, every endpoint is alike (serving beats a 503). Lock- and
// allocation-free.
func (a *App) Pick(pin int) (Pick, bool) {
	if pin > 0 {
		r := a.release(pin)
		if r == nil {
			return Pick{}, false
		}
		return Pick{Release: pin, Lo: r.lo, Hi: r.hi, Counter: r.next.Add(1) - 1, Pinned: true}, true
	}
	if len(a.schedule) > 0 {
		r := &a.releases[a.schedule[(a.turn.Add(1)-1)%uint64(len(a.schedule))]]
		return Pick{Release: r.Version, Lo: r.lo, Hi: r.hi, Counter: r.next.Add(1) - 1}, true
	}
	if len(a.Endpoints) == 0 {
		return Pick{}, false
	}
	return Pick{Lo: 0, Hi: len(a.Endpoints), Counter: a.Next()}, true
}

// Releases lists the releases that have endpoints, by version.
func (a *App) Releases() []*Release {
	out := make([]*Release, len(a.releases))
	for i := range a.releases {
		out[i] = &a.releases[i]
	}
	return out
}

// Schedule is the release versions of one round of the weighted schedule,
// in the order requests get them; empty when the app is not weighted.
func (a *App) Schedule() []int {
	out := make([]int, len(a.schedule))
	for i, r := range a.schedule {
		out[i] = a.releases[r].Version
	}
	return out
}

func (a *App) release(version int) *Release {
	for i := range a.releases {
		if a.releases[i].Version == version {
			return &a.releases[i]
		}
	}
	return nil
}

// carryOver continues prev's round-robin positions in a, so that frequent
// rebuilds (any app's endpoint change rebuilds the table) do not restart
// every schedule at its first step and starve a small weight.
func (a *App) carryOver(prev *App) {
	a.next.Store(prev.next.Load())
	a.turn.Store(prev.turn.Load())
	for i := range a.releases {
		if r := prev.release(a.releases[i].Version); r != nil {
			a.releases[i].next.Store(r.next.Load())
		}
	}
}

// addWeights checks and keeps a route's weights. Must run before
// buildReleases.
func (a *App) addWeights(ws []Weight) []error {
	var problems []error
	for _, w := range ws {
		switch {
		case w.Release <= 0:
			problems = append(problems, fmt.Errorf("weight of app %q: release %d is not positive", a.Name, w.Release))
		case w.Weight < 0 || w.Weight > MaxWeight:
			problems = append(problems, fmt.Errorf("weight of app %q release %d: %d is outside 0..%d", a.Name, w.Release, w.Weight, MaxWeight))
		case slices.ContainsFunc(a.Weights, func(x Weight) bool { return x.Release == w.Release }):
			problems = append(problems, fmt.Errorf("weight of app %q: release %d named twice", a.Name, w.Release))
		default:
			a.Weights = append(a.Weights, w)
		}
	}
	return problems
}

// buildReleases sorts the endpoints by release and instance, cuts them into
// releases and lays out the weighted schedule.
func (a *App) buildReleases() {
	slices.SortFunc(a.Endpoints, func(x, y Endpoint) int {
		return cmp.Or(cmp.Compare(x.Release, y.Release), cmp.Compare(x.Instance, y.Instance), cmp.Compare(x.Addr, y.Addr))
	})
	n := 0
	for i, ep := range a.Endpoints {
		if i == 0 || ep.Release != a.Endpoints[i-1].Release {
			n++
		}
	}
	a.releases = make([]Release, n)
	k := -1
	for i, ep := range a.Endpoints {
		if i == 0 || ep.Release != a.Endpoints[i-1].Release {
			k++
			a.releases[k].Version = ep.Release
			a.releases[k].Weight = -1
			a.releases[k].lo = i
		}
		a.releases[k].hi = i + 1
	}

	var idx, weights []int
	for _, w := range a.Weights {
		for i := range a.releases {
			if a.releases[i].Version == w.Release {
				a.releases[i].Weight = w.Weight
				if w.Weight > 0 {
					idx = append(idx, i)
					weights = append(weights, w.Weight)
				}
			}
		}
	}
	for _, s := range swrr(weights) {
		a.schedule = append(a.schedule, int32(idx[s]))
	}
}

// swrr lays out one round of nginx's smooth weighted round-robin over
// positive weights: each pick adds every weight to its current value, takes
// the largest and subtracts the total from it. The round is periodic, so a
// shared counter over it is the same algorithm without its lock.
func swrr(weights []int) []int {
	g := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	if g == 0 {
		return nil
	}
	w := make([]int, len(weights))
	total := 0
	for i, x := range weights {
		w[i] = x / g
		total += w[i]
	}
	if total > maxSchedule {
		sum := total
		total = 0
		for i := range w {
			w[i] = max(1, w[i]*maxSchedule/sum)
			total += w[i]
		}
	}
	cur := make([]int, len(w))
	out := make([]int, 0, total)
	for range total {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, best)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
