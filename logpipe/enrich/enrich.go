package enrich

import (
	"context"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
)

// Directory answers what the platform knows about an instance.
type Directory interface {
	Lookup(instance string) (InstanceInfo, bool)
}

// Publisher receives enriched records; the durable buffer is one.
type Publisher interface {
	Publish(ctx context.Context, recs []record.Record) error
}

// Enricher completes records from a Directory.
type Enricher struct {
	dir Directory
	now func() time.Time
}

// New returns an enricher over dir; a nil dir knows no instances.
func New(dir Directory) *Enricher {
	return &Enricher{dir: dir, now: time.Now}
}

// Enrich completes recs in place.
func (e *Enricher) Enrich(recs []record.Record) {
	now := e.now()
	for i := range recs {
		var (
			info  InstanceInfo
			found bool
		)
		if e.dir != nil && recs[i].Instance != "" {
			info, found = e.dir.Lookup(recs[i].Instance)
		}
		complete(&recs[i], info, found, now)
	}
}

// Wrap returns a Publisher that enriches each batch, in place, before
// handing it to next. It fits where intake wants a Sink.
func (e *Enricher) Wrap(next Publisher) Publisher {
	return stage{e: e, next: next}
}

type stage struct {
	e    *Enricher
	next Publisher
}

func (s stage) Publish(ctx context.Context, recs []record.Record) error {
	s.e.Enrich(recs)
	return s.next.Publish(ctx, recs)
}

// Complete fills what r lacks:
//   - App from the directory, else from the instance id "<app>-<6 hex>";
//   - Host from the directory, which wins over the syslog HOSTNAME: Docker
//     writes its machine's hostname there, not the Berth host id, and several
//     agents may share one Docker engine in dev;
//   - Severity normalised to a syslog keyword, defaulting from the stream;
//   - Stream defaulting to stdout, Time to now, ID to a new one.
func Complete(r record.Record, info InstanceInfo, found bool, now time.Time) record.Record {
	complete(&r, info, found, now)
	return r
}

// complete is Complete in place, sparing a batch two copies of each record.
func complete(r *record.Record, info InstanceInfo, found bool, now time.Time) {
	if r.App == "" {
		if found && info.App != "" {
			r.App = info.App
		} else if app, ok := record.AppOfInstance(r.Instance); ok {
			r.App = app
		}
	}
	if found && info.Host != "" {
		r.Host = info.Host
	}
	if r.Stream == "" {
		r.Stream = record.StreamStdout
	}
	if name, ok := record.NormalizeSeverity(r.Severity); ok {
		r.Severity = name
	} else if r.Severity == "" {
		r.Severity = record.SeverityInfo
		if r.Stream == record.StreamStderr {
			r.Severity = record.SeverityErr
		}
	}
	if r.Time.IsZero() {
		r.Time = now
	}
	if r.ID == "" {
		r.ID = record.NewID()
	}
}
