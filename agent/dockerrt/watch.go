package dockerrt

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// EventKind says what happened to a container, or that the stream was (re)established.
type EventKind string

const (
	EventStarted EventKind = "started"
	EventExited  EventKind = "exited"
	// EventResync is sent each time the event stream is established, the first
	// time included. Events may have been missed before it (the engine was
	// unreachable or restarted), so the receiver should reconcile with List.
	EventResync EventKind = "resync"
)

// Event is one container lifecycle change on a host.
type Event struct {
	Kind                EventKind
	ContainerID         string
	App, Instance, Host string
	ExitCode            int  // EventExited only
	OOMKilled           bool // EventExited only
	Time                time.Time
}

// Watch streams Started and Exited events of containers labelled for host,
// from the engine's event stream (no polling). When the stream breaks, for
// example because the engine restarts, it reconnects with backoff and sends
// EventResync once connected again. On reconnect it asks the engine to replay
// events since the last one seen, which closes the gap unless the engine itself
// restarted. The channel is closed when ctx ends; receive from it promptly, a
// slow receiver holds back the stream.
func (r *Runtime) Watch(ctx context.Context, host string) <-chan Event {
	out := make(chan Event, 64)
	go r.watch(ctx, host, out)
	return out
}

func (r *Runtime) watch(ctx context.Context, host string, out chan<- Event) {
	defer close(out)
	w := &watcher{rt: r, host: host, out: out, since: time.Now(), oom: map[string]bool{}}
	backoff := r.backoffMin
	for {
		connected, err := w.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = r.backoffMin
		}
		r.log.Warn("docker event stream lost; reconnecting", "host", host, "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, r.backoffMax)
	}
}

// watcher carries what must survive reconnects: where to resume and which
// containers were reported out of memory before they died.
type watcher struct {
	rt    *Runtime
	host  string
	out   chan<- Event
	since time.Time
	oom   map[string]bool
}

// stream follows one connection to the engine until it breaks.
func (w *watcher) stream(ctx context.Context) (connected bool, err error) {
	if _, err := w.rt.api.Ping(ctx); err != nil {
		return false, fmt.Errorf("ping: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := w.rt.api.Events(sctx, events.ListOptions{
		Since: fmt.Sprintf("%d.%09d", w.since.Unix(), w.since.Nanosecond()),
		Filters: filters.NewArgs(
			filters.Arg("type", string(events.ContainerEventType)),
			filters.Arg("label", LabelHost+"="+w.host),
			filters.Arg("event", string(events.ActionStart)),
			filters.Arg("event", string(events.ActionDie)),
			filters.Arg("event", string(events.ActionOOM)),
		),
	})
	if !w.emit(ctx, Event{Kind: EventResync, Host: w.host, Time: time.Now()}) {
		return true, ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case err := <-errs:
			return true, err
		case m := <-msgs:
			// Resume just after this event if the stream breaks.
			w.since = time.Unix(0, m.TimeNano+1)
			ev, ok := translate(m, w.oom)
			if !ok {
				continue
			}
			if ev.Kind == EventExited && !ev.OOMKilled && ev.ExitCode == 137 {
				// SIGKILL: the oom event may have been missed or may follow
				// the die event; ask the engine, which can lag a little too.
				for try := 0; try < 3 && !ev.OOMKilled; try++ {
					if try > 0 {
						time.Sleep(100 * time.Millisecond)
					}
					if st, err := w.rt.Inspect(ctx, ev.ContainerID); err == nil {
						ev.OOMKilled = st.OOMKilled
					}
				}
			}
			if !w.emit(ctx, ev) {
				return true, ctx.Err()
			}
		}
	}
}

func (w *watcher) emit(ctx context.Context, ev Event) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// translate turns an engine event into a Berth event. An oom event is only
// remembered, so the die event that follows it reports OOMKilled.
func translate(m events.Message, oom map[string]bool) (Event, bool) {
	if m.Type != events.ContainerEventType {
		return Event{}, false
	}
	attrs := m.Actor.Attributes
	ev := Event{
		ContainerID: m.Actor.ID,
		App:         attrs[LabelApp],
		Instance:    attrs[LabelInstance],
		Host:        attrs[LabelHost],
		Time:        time.Unix(0, m.TimeNano),
	}
	switch m.Action {
	case events.ActionStart:
		ev.Kind = EventStarted
		delete(oom, m.Actor.ID)
	case events.ActionOOM:
		oom[m.Actor.ID] = true
		return Event{}, false
	case events.ActionDie:
		ev.Kind = EventExited
		ev.ExitCode, _ = strconv.Atoi(attrs["exitCode"])
		ev.OOMKilled = oom[m.Actor.ID]
		delete(oom, m.Actor.ID)
	default:
		return Event{}, false
	}
	return ev, true
}
