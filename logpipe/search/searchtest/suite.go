package searchtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/logpipe/record"
	"github.com/berth-dev/berth/logpipe/search"
)

// Store is what the suite exercises: a sink for records and a searcher.
type Store interface {
	Index(ctx context.Context, recs []record.Record) error
	search.Searcher
}

// fixture is a small log of two apps. Records of app a, by index:
//
//	0 a1 stdout "GET /health 200 ok"
//	1 a2 stderr "connection refused by database"
//	2 a1 stdout "user login ok"
//	3 a2 stdout "Connection reset by peer"
//	4 a1 stderr "payment failed: connection timeout"
//	5 a1 stdout "tie first"   (same time as 6, smaller ID)
//	6 a1 stdout "tie second"
//	7 a1 malformed "garbage"
type fixture struct {
	appA, appB string
	t0         time.Time
	a          []record.Record
	b          []record.Record
}

func newFixture() fixture {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	s := hex.EncodeToString(suffix[:])
	f := fixture{appA: "suite-" + s, appB: "suite-" + s + "-b"}
	// Millisecond precision: every store keeps at least that.
	f.t0 = time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	mk := func(app string, sec int, inst, stream, sev, msg string) record.Record {
		return record.Record{
			ID: record.NewID(), Time: f.t0.Add(time.Duration(sec) * time.Second).Add(123 * time.Millisecond),
			App: app, Instance: inst, Host: "h1", Stream: stream, Severity: sev, Message: msg,
		}
	}
	a1, a2 := f.appA+"-0a0a0a", f.appA+"-0b0b0b"
	f.a = []record.Record{
		mk(f.appA, 0, a1, record.StreamStdout, record.SeverityInfo, "GET /health 200 ok"),
		mk(f.appA, 1, a2, record.StreamStderr, record.SeverityErr, "connection refused by database"),
		mk(f.appA, 2, a1, record.StreamStdout, record.SeverityInfo, "user login ok"),
		mk(f.appA, 3, a2, record.StreamStdout, record.SeverityInfo, "Connection reset by peer"),
		mk(f.appA, 4, a1, record.StreamStderr, record.SeverityErr, "payment failed: connection timeout"),
		mk(f.appA, 5, a1, record.StreamStdout, record.SeverityInfo, "tie first"),
		mk(f.appA, 5, a1, record.StreamStdout, record.SeverityInfo, "tie second"),
		mk(f.appA, 6, a1, record.StreamStdout, record.SeverityInfo, "garbage"),
	}
	f.a[7].Raw, f.a[7].Malformed = "<garbage frame", true
	f.b = []record.Record{mk(f.appB, 1, f.appB+"-0c0c0c", record.StreamStderr, record.SeverityErr, "connection refused elsewhere")}
	return f
}

// Run indexes a fixture into the store newStore returns and checks every
// kind of query. Stores may make records searchable a little after Index
// returns; the suite waits for them.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	f := newFixture()

	// Index in two batches, out of order, with the second app in between.
	if err := s.Index(ctx, append(slices.Clone(f.a[4:]), f.b...)); err != nil {
		t.Fatalf("index: %v", err)
	}
	if err := s.Index(ctx, f.a[:4]); err != nil {
		t.Fatalf("index: %v", err)
	}
	waitFor(t, s, search.Query{App: f.appA, Limit: 100}, len(f.a))
	waitFor(t, s, search.Query{App: f.appB}, len(f.b))

	pick := func(idx ...int) []record.Record {
		var out []record.Record
		for _, i := range idx {
			out = append(out, f.a[i])
		}
		return out
	}
	tests := []struct {
		name string
		q    search.Query
		want []record.Record
	}{
		{"whole app oldest first, ties by ID", search.Query{App: f.appA}, f.a},
		{"instance", search.Query{App: f.appA, Instance: f.appA + "-0b0b0b"}, pick(1, 3)},
		{"word, any case", search.Query{App: f.appA, Text: "connection"}, pick(1, 3, 4)},
		{"every word must match", search.Query{App: f.appA, Text: "Connection REFUSED"}, pick(1)},
		{"words are whole", search.Query{App: f.appA, Text: "connect"}, nil},
		{"text across apps", search.Query{Text: "refused " + "elsewhere"}, f.b},
		{"time range inclusive", search.Query{App: f.appA, Since: f.a[1].Time, Until: f.a[3].Time}, pick(1, 2, 3)},
		{"since only", search.Query{App: f.appA, Since: f.a[5].Time}, pick(5, 6, 7)},
		{"limit keeps the newest", search.Query{App: f.appA, Limit: 3}, pick(5, 6, 7)},
		{"limit with text", search.Query{App: f.appA, Text: "connection", Limit: 1}, pick(4)},
		{"no match", search.Query{App: f.appA, Text: "nothing-like-this"}, nil},
		{"unknown app", search.Query{App: f.appA + "-x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Search(ctx, tt.q)
			if err != nil {
				t.Fatalf("search %+v: %v", tt.q, err)
			}
			assertRecords(t, got, tt.want)
		})
	}

	t.Run("redelivery is idempotent", func(t *testing.T) {
		if err := s.Index(ctx, f.a); err != nil {
			t.Fatalf("index again: %v", err)
		}
		// Give a store that lags a chance to show duplicates before judging.
		waitFor(t, s, search.Query{App: f.appA, Limit: 100}, len(f.a))
		got, err := s.Search(ctx, search.Query{App: f.appA, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		assertRecords(t, got, f.a)
	})

	t.Run("invalid query", func(t *testing.T) {
		if _, err := s.Search(ctx, search.Query{Limit: -1}); err == nil {
			t.Fatal("negative limit accepted")
		}
	})
}

func waitFor(t *testing.T, s Store, q search.Query, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.Search(context.Background(), q)
		if err == nil && len(got) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %+v: %d records, err %v; want %d", q, len(got), err, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func assertRecords(t *testing.T, got, want []record.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records %v, want %d %v", len(got), messages(got), len(want), messages(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			t.Errorf("record %d time %v, want %v", i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func messages(recs []record.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Message
	}
	return out
}
