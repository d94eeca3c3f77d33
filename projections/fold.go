package projections

import (
	"cmp"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events"
)

// itemsOf turns fetched messages into the projector's items, in stream
// order (redeliveries may come after later events). An event that can't
// be decoded or folded becomes a skip record: it would fail the same way
// every time. The messages come back in the items' order.
func itemsOf(p projector, msgs []jetstream.Msg, log *slog.Logger) ([]item, []jetstream.Msg) {
	type pair struct {
		it  item
		msg jetstream.Msg
	}
	out := make([]pair, 0, len(msgs))
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			// Pull consumers deliver only JetStream messages.
			log.Error("projection got a message without JetStream metadata", "projector", p.name, "subject", m.Subject(), "err", err)
			continue
		}
		d := delivery{projector: p.name, seq: meta.Sequence.Stream, subject: m.Subject(), body: m.Data()}
		it := item{d: d}
		env, ev, err := events.Decode(d.body)
		if err != nil {
			it.skipAs(firstLine(err.Error()), false)
		} else if it.stmts, err = foldSafely(p, events.Recorded{Envelope: env, Event: ev, Sequence: d.seq}, log); err != nil {
			it.skipAs(firstLine(err.Error()), true)
		}
		out = append(out, pair{it, m})
	}
	slices.SortFunc(out, func(a, b pair) int { return cmp.Compare(a.it.d.seq, b.it.d.seq) })
	items, ordered := make([]item, 0, len(out)), make([]jetstream.Msg, 0, len(out))
	for i, x := range out {
		if i > 0 && x.it.d.seq == out[i-1].it.d.seq {
			continue // delivered twice in one fetch: one ack settles both
		}
		items, ordered = append(items, x.it), append(ordered, x.msg)
	}
	return items, ordered
}

// foldSafely folds, turning a panic into errUnfoldable.
func foldSafely(p projector, rec events.Recorded, log *slog.Logger) (stmts []statement, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("projector panicked", "projector", p.name, "seq", rec.Sequence, "panic", v, "stack", string(debug.Stack()))
			stmts, err = nil, fmt.Errorf("%w: panic: %v", errUnfoldable, v)
		}
	}()
	stmts, err = p.fold(rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnfoldable, err)
	}
	return stmts, nil
}
