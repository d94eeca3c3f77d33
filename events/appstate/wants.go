package appstate

import (
	"math"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/events"
)

// Wants is how many live instances the app should run: Target of its
// target release, and Old of every other release together (the rollout's
// From release when some must be placed).
type Wants struct {
	Target int
	Old    int
	// From is the release whose instances replace lost old ones during a
	// rollout (0: none are placed).
	From int
	// Unavailable is how many fewer than the replicas may be healthy while
	// old instances are removed.
	Unavailable int
}

// Wants derives the instance counts from the app's rollout state and its
// current replicas, so a scale during a rollout changes the whole app
// without confusing the steps. Pure.
func (a *App) Wants() Wants {
	if !a.Exists || a.Stopped {
		return Wants{}
	}
	r := max(a.Spec.Replicas, 0)
	ro := a.Rollout
	if ro == nil || ro.Release != a.Target || (!ro.Live() && ro.Status != RolloutFailed) || ro.From == 0 {
		return Wants{Target: r}
	}
	surge, unavail := Surge(ro.Spec, r)
	if ro.Spec.Strategy == events.StrategyCanary {
		n := int(math.Ceil(float64(r) * float64(ro.Weight) / 100))
		if r > 0 {
			n = min(max(n, 1), r)
		}
		return Wants{Target: n, Old: r, From: ro.From}
	}
	keep := r
	if ro.KeepOld >= 0 {
		keep = min(ro.KeepOld, r)
	}
	return Wants{Target: min(max(r+surge-keep, 0), r), Old: keep, From: ro.From, Unavailable: unavail}
}

// Surge resolves a rolling rollout's max surge and max unavailable against
// replicas: a share rounds surge up and unavailable down, as Kubernetes
// does, and surge is at least 1 when unavailable is 0, so a rollout can
// always move.
func Surge(s events.RolloutSpec, replicas int) (surge, unavailable int) {
	surge = resolve(s.MaxSurge, replicas, true)
	unavailable = min(resolve(s.MaxUnavailable, replicas, false), replicas)
	if surge == 0 && unavailable == 0 {
		surge = 1
	}
	return surge, unavailable
}

func resolve(v string, replicas int, up bool) int {
	v = strings.TrimSpace(v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 {
			return 0
		}
		x := float64(replicas) * f / 100
		if up {
			return int(math.Ceil(x))
		}
		return int(math.Floor(x))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Weight is one release's share of an app's traffic, in percent.
type Weight struct {
	Release int `json:"release"`
	Weight  int `json:"weight"`
}

// Weights is how the gateway splits the app's traffic between releases:
// a canary's weight while it runs, all of it to the target release once a
// rollout ended, and nil (every healthy endpoint alike) during a rolling
// update. The gateway falls back to every endpoint when the weighted
// releases have none.
func (a *App) Weights() []Weight {
	if !a.Exists || a.Target == 0 {
		return nil
	}
	ro := a.Rollout
	switch {
	case ro != nil && ro.Release == a.Target && ro.From != 0 && ro.Spec.Strategy == events.StrategyCanary &&
		(ro.Live() || ro.Status == RolloutFailed):
		return []Weight{{Release: ro.Release, Weight: ro.Weight}, {Release: ro.From, Weight: 100 - ro.Weight}}
	case ro != nil && (ro.Live() || ro.Status == RolloutFailed) && ro.Release == a.Target && ro.From != 0:
		return nil
	}
	return []Weight{{Release: a.Target, Weight: 100}}
}
