package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/berth-dev/berth/commands/hooks"
	"github.com/berth-dev/berth/events"
)

// Metadata keys the unmarshaler sets on every Watermill message.
const (
	mdSubject   = "berth_subject"
	mdSeq       = "berth_seq"
	mdDelivered = "berth_delivered"
	mdHook      = "berth_hook"
)

// handler returns the Watermill handler delivering one hook's events.
func (w *Worker) handler(name string) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		return w.deliver(msg.Context(), name, msg)
	}
}

// deliver sends one event to the hook's receiver. nil acks it (sent, or
// not for this hook); a *deadLetter sends it to the dead letters; any
// other error retries it.
func (w *Worker) deliver(ctx context.Context, name string, msg *message.Message) error {
	h, ok := w.view.get(name)
	if !ok {
		return nil // removed: its handler is being stopped
	}
	msg.Metadata.Set(mdHook, name)
	agg, kind, ok := events.ParseSubject(msg.Metadata.Get(mdSubject))
	if !ok || !hooks.Matches(h.Spec, agg, kind) {
		return nil
	}
	env, _, err := events.Decode(msg.Payload)
	if err != nil {
		w.log.Warn("hook skips an undecodable event", "hook", name, "subject", msg.Metadata.Get(mdSubject), "err", err)
		return nil
	}
	secret, err := w.secret(ctx, name, h.Spec.SecretID)
	if err != nil {
		return fmt.Errorf("hook %s: %w", name, err)
	}
	a := w.post(ctx, name, h.Spec.URL, secret, env, msg.Payload)
	if ctx.Err() != nil {
		// Cut short by this server stopping, not the receiver's doing:
		// not recorded; the event is redelivered.
		return ctx.Err()
	}
	seq, _ := strconv.ParseUint(msg.Metadata.Get(mdSeq), 10, 64)
	n, _ := strconv.Atoi(msg.Metadata.Get(mdDelivered))
	rec := record{hook: name, eventID: env.ID, seq: seq, eventType: env.Type, subject: env.Subject, attempt: n, a: a}
	w.metrics.observe(name, a)
	failingSince, err := w.rec.attempt(ctx, rec)
	if err != nil {
		return fmt.Errorf("hook %s: record attempt: %w", name, err)
	}
	switch {
	case a.ok():
		if h.Failing {
			w.mark(ctx, name, hooks.MarkRecovered)
		}
		return nil
	case a.permanent():
		keepLastAttempt(msg, a)
		return &deadLetter{reason: "rejected: " + a.summary(), a: a}
	}
	if !failingSince.IsZero() {
		failing := w.now().Sub(failingSince)
		if failing > w.cfg.RetryPeriod {
			keepLastAttempt(msg, a)
			return &deadLetter{reason: fmt.Sprintf("receiver failing for %s (retry period %s): %s",
				failing.Round(time.Second), w.cfg.RetryPeriod, a.summary()), a: a}
		}
		if failing >= w.cfg.FailingAfter && !h.Failing {
			reason := a.summary()
			w.mark(ctx, name, func(h *hooks.Hook) ([]events.Event, error) { return hooks.MarkFailing(h, failingSince, reason) })
		}
	}
	return errors.New(a.summary())
}

// post makes one signed request.
func (w *Worker) post(ctx context.Context, hook, url, secret string, env events.Envelope, body []byte) attempt {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return attempt{err: fmt.Errorf("%w: %v", errBadURL, err)}
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", "Berth-Hookshot/1")
	req.Header.Set(IDHeader, env.ID)
	req.Header.Set(IdempotencyHeader, env.ID)
	req.Header.Set(EventTypeHeader, env.Type)
	req.Header.Set(HookHeader, hook)
	req.Header.Set(SignatureHeader, Sign(secret, w.now(), body))
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return attempt{latency: ms(time.Since(start)), err: err}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, w.cfg.MaxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return attempt{status: resp.StatusCode, latency: ms(time.Since(start)), response: string(head)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// mark appends a failing/recovered event; losing one is harmless (the
// next attempt decides again), so errors are logged.
func (w *Worker) mark(ctx context.Context, name string, decide hooks.Decider) {
	if _, err := w.cmds.Execute(ctx, name, "", decide); err != nil && ctx.Err() == nil {
		w.log.Warn("hook state not recorded", "hook", name, "err", err)
	}
}
