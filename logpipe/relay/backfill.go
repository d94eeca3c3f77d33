package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/pkg/stdcopy"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/record"
)

// Container is a running container of this host whose logs the relay takes.
type Container struct {
	ID, App, Instance string
	Created           time.Time
}

// Source is the Docker engine as backfill sees it: the host's running
// Berth containers, and what one wrote between two times, read from the
// engine's own log cache as timestamped lines, stdout and stderr
// multiplexed (Docker's non-TTY log format).
type Source interface {
	Running(ctx context.Context) ([]Container, error)
	Logs(ctx context.Context, id string, since, until time.Time) (io.ReadCloser, error)
}

// backfillBatch is how many lines go to the bus at once.
const backfillBatch = 500

// snapshotTimeout bounds how long the intake's publishing waits for the
// backfill to learn where each container's records on the bus end.
const snapshotTimeout = 30 * time.Second

// resume is where a container's backfill starts: after this time.
type resume struct {
	c     Container
	after time.Time
}

// backfill publishes, for every running container, the lines it wrote
// after its last record on the bus and before this relay listened: what
// Docker's syslog driver dropped while no relay listened (the agent was
// restarting) and what a killed relay held unpublished. Lines written
// since the relay listens come over syslog; their publishing waits, via
// release, until the last records are known, lest the new lines be taken
// for the last ones.
func (r *Relay) backfill(ctx context.Context, release func()) error {
	sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	points, err := r.resumePoints(sctx)
	cancel()
	release()
	if err != nil {
		return err
	}
	total := 0
	for _, p := range points {
		n, err := r.backfillContainer(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("log backfill failed", "instance", p.c.Instance, "err", err)
			continue
		}
		total += n
	}
	if total > 0 {
		r.log.Info("logs written while no relay listened recovered from Docker", "lines", total, "containers", len(points))
	}
	return nil
}

// resumePoints finds, for each running container, the time of its last
// record on the bus.
func (r *Relay) resumePoints(ctx context.Context) ([]resume, error) {
	stream, err := r.waitStream(ctx)
	if err != nil {
		return nil, err
	}
	var conts []Container
	if err := r.retry(ctx, "list containers", func() (err error) {
		conts, err = r.src.Running(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	maxAge := stream.CachedInfo().Config.MaxAge
	var points []resume
	for _, c := range conts {
		var (
			after time.Time
			found bool
		)
		if err := r.retry(ctx, "find the last log record of "+c.Instance, func() (err error) {
			after, found, err = lastRecordTime(ctx, stream, c)
			return err
		}); err != nil {
			return nil, err
		}
		if !found {
			// Nothing on the bus: everything since the container was made,
			// unless older lines would have left the buffer anyway.
			after = c.Created.Add(-time.Microsecond)
			if maxAge > 0 && r.started.Add(-maxAge).After(after) {
				after = r.started.Add(-maxAge)
			}
		}
		if after.Before(r.started) {
			points = append(points, resume{c: c, after: after})
		}
	}
	return points, nil
}

// boundaryGrace is how long the backfill of a container that sends no
// new line waits for Docker's pipeline to pass the relay's start.
const boundaryGrace = 5 * time.Second

// backfillContainer publishes p's container's lines in (p.after, listen
// time) that did not come over syslog after all.
func (r *Relay) backfillContainer(ctx context.Context, p resume) (int, error) {
	c, after := p.c, p.after
	r.gate.seen.wait(ctx, c.Instance, boundaryGrace)
	rc, err := r.src.Logs(ctx, c.ID, after, r.started)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	lines := &lineCollector{after: after, until: r.started, base: record.Record{App: c.App, Instance: c.Instance}}
	stdout, stderr := lines.stream(record.StreamStdout), lines.stream(record.StreamStderr)
	if _, err := stdcopy.StdCopy(stdout, stderr, rc); err != nil {
		return 0, fmt.Errorf("read logs of %s: %w", c.Instance, err)
	}
	stdout.flush()
	stderr.flush()
	recs := lines.recs[:0]
	for _, rec := range lines.recs {
		if !r.gate.seen.delivered(rec) {
			recs = append(recs, rec)
		}
	}
	for i := 0; i < len(recs); i += backfillBatch {
		batch := recs[i:min(i+backfillBatch, len(recs))]
		if err := r.retry(ctx, "publish backfilled logs", func() error { return r.sink.Publish(ctx, batch) }); err != nil {
			return i, err
		}
	}
	return len(recs), nil
}

// lastRecordTime is the time of the newest record of c on the bus.
func lastRecordTime(ctx context.Context, stream jetstream.Stream, c Container) (time.Time, bool, error) {
	msg, err := stream.GetLastMsgForSubject(ctx, buffer.Subject(c.App, c.Instance))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last log record of %s: %w", c.Instance, err)
	}
	recs, _ := buffer.DecodeMessage(msg.Data)
	var last time.Time
	for _, rec := range recs {
		if rec.Time.After(last) {
			last = rec.Time
		}
	}
	return last, !last.IsZero(), nil
}

// waitStream waits for the server to have created the log stream.
func (r *Relay) waitStream(ctx context.Context) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := r.retry(ctx, "find the log stream", func() (err error) {
		s, err = r.js.Stream(ctx, buffer.StreamName)
		return err
	})
	return s, err
}

// retry runs fn until it succeeds or ctx ends, backing off up to 5s.
func (r *Relay) retry(ctx context.Context, what string, fn func() error) error {
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if attempt == 1 || attempt%10 == 0 {
			r.log.Warn("log backfill: "+what+" failed; retrying", "err", err, "attempt", attempt)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// lineCollector turns Docker's timestamped lines into records, keeping
// those strictly after after and before until, at the microsecond
// precision of Docker's rfc5424micro syslog timestamps.
type lineCollector struct {
	after, until time.Time
	base         record.Record
	recs         []record.Record
}

func (l *lineCollector) stream(name string) *lineWriter {
	return &lineWriter{l: l, name: name}
}

func (l *lineCollector) add(stream string, line []byte) {
	ts, msg, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return
	}
	t = t.Truncate(time.Microsecond)
	if !t.After(l.after) || !t.Before(l.until) {
		return
	}
	rec := l.base
	rec.Time, rec.Stream = t, stream
	rec.Message = string(bytes.TrimRight(msg, "\r\n"))
	l.recs = append(l.recs, rec)
}

// lineWriter splits one stream's output into lines.
type lineWriter struct {
	l    *lineCollector
	name string
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.l.add(w.name, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.l.add(w.name, w.buf)
		w.buf = nil
	}
}
