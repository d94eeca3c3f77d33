package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/berth-dev/berth/events"
)

// hostHistory is what the host's own history says about its registration.
type hostHistory struct {
	last *events.HostRegistered
	lost bool
}

func foldHost(recs []events.Recorded) hostHistory {
	var h hostHistory
	for _, r := range recs {
		switch e := r.Event.(type) {
		case events.HostRegistered:
			h.last, h.lost = &e, false
		case events.HostLost:
			h.lost = true
		}
	}
	return h
}

// needsRegistration: never registered, registered differently, or lost
// since (the host came back).
func needsRegistration(h hostHistory, want events.HostRegistered) bool {
	return h.last == nil || h.lost || !sameRegistration(*h.last, want)
}

func sameRegistration(a, b events.HostRegistered) bool {
	return a.Host == b.Host && a.Addr == b.Addr && a.Zone == b.Zone &&
		a.CPUs == b.CPUs && a.MemoryBytes == b.MemoryBytes &&
		a.PortMin == b.PortMin && a.PortMax == b.PortMax &&
		maps.Equal(a.Labels, b.Labels) // nil and empty are equal
}

func (a *Agent) registration() events.HostRegistered {
	return events.HostRegistered{
		Host:        a.cfg.HostID,
		Addr:        a.cfg.Addr,
		Zone:        a.cfg.Zone,
		Labels:      maps.Clone(a.cfg.Labels),
		CPUs:        a.cfg.CPUs,
		MemoryBytes: a.cfg.MemoryBytes,
		PortMin:     a.cfg.PortMin,
		PortMax:     a.cfg.PortMax,
	}
}

// registerLoop registers the host once the host history is read, and
// again whenever it is declared lost while the agent lives (a partition
// that healed).
func (a *Agent) registerLoop(ctx context.Context) {
	check := make(chan struct{}, 1)
	signal := func() {
		select {
		case check <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var seq uint64
		rerun(ctx, a.log, "follow host events", func() error {
			return a.store.Follow(ctx, events.Host(a.cfg.HostID).Filter(), events.FollowOptions{
				AfterSeq: seq, OnCaughtUp: signal,
			}, func(r events.Recorded) error {
				seq = r.Sequence
				if _, ok := r.Event.(events.HostLost); ok {
					signal()
				}
				return nil
			})
		})
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-check:
		}
		if !untilOK(ctx, a.log, "register host failed", func() error { return a.register(ctx) }) {
			return
		}
	}
}

// register appends HostRegistered if the history calls for it, against
// the host's last sequence so a concurrent HostLost is not overlooked.
func (a *Agent) register(ctx context.Context) error {
	want := a.registration()
	agg := events.Host(a.cfg.HostID)
	for range 5 {
		recs, last, err := a.store.Load(ctx, agg, 0)
		if err != nil {
			return fmt.Errorf("load host: %w", err)
		}
		if !needsRegistration(foldHost(recs), want) {
			return nil
		}
		_, err = a.store.Append(ctx, agg, last, []events.Event{want}, events.AppendOptions{Source: a.source})
		if errors.Is(err, events.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("append host registered: %w", err)
		}
		a.log.Info("host registered", "addr", want.Addr, "zone", want.Zone)
		return nil
	}
	return errors.New("register host: history kept changing")
}
