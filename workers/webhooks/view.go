package webhooks

import (
	"sync"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
)

// view is every hook's state, folded from berth.events.hook.>.
type view struct {
	mu    sync.RWMutex
	hooks map[string]*hooks.Hook
}

func newView() *view { return &view{hooks: map[string]*hooks.Hook{}} }

// apply folds one hook event and returns the hook's name.
func (v *view) apply(r events.Recorded) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	name := r.Event.Aggregate().ID
	h, ok := v.hooks[name]
	if !ok {
		h = hooks.New(name)
		v.hooks[name] = h
	}
	h.Apply(r)
	return name
}

// get returns a copy of an existing hook.
func (v *view) get(name string) (*hooks.Hook, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	h, ok := v.hooks[name]
	if !ok || !h.Exists {
		return nil, false
	}
	return h.Clone(), true
}

// byConsumer finds the existing hook whose current consumer is name.
func (v *view) byConsumer(name string) (*hooks.Hook, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, h := range v.hooks {
		if h.Exists && h.ConsumerName() == name {
			return h.Clone(), true
		}
	}
	return nil, false
}

// names lists every hook ever seen.
func (v *view) names() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.hooks))
	for n := range v.hooks {
		out = append(out, n)
	}
	return out
}
