package buffer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/record"
)

func TestEnsureStream(t *testing.T) {
	js := newJS(t, natstest.Start(t))
	ctx := context.Background()
	s, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxAge != 72*time.Hour || cfg.MaxBytes != 1<<30 || cfg.Subjects[0] != "berth.logs.>" || cfg.Storage.String() != "File" {
		t.Fatalf("stream config %+v", cfg)
	}
	s, err = buffer.EnsureStream(ctx, js, buffer.StreamConfig{MaxAge: time.Hour, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.MaxAge != time.Hour || cfg.MaxBytes != 1<<20 {
		t.Fatalf("limits not updated: %+v", cfg)
	}
	if _, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{MaxAge: -1, MaxBytes: -5}); err == nil {
		t.Fatal("bad config accepted")
	}
}

func TestSubjects(t *testing.T) {
	tests := map[[2]string]string{
		{"web", "web-3f2a1c"}: "berth.logs.web.web-3f2a1c",
		{"", ""}:              "berth.logs._._",
		{"a.b", "x y>*"}:      "berth.logs.a_b.x_y__",
	}
	for in, want := range tests {
		if got := buffer.Subject(in[0], in[1]); got != want {
			t.Errorf("Subject(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
	if got := buffer.AppFilter("web"); got != "berth.logs.web.>" {
		t.Errorf("AppFilter = %q", got)
	}
}

func TestPublishStoresEachRecordOnceOnItsSubject(t *testing.T) {
	js, s := setup(t)
	recs := append(records("web", 300), records("api", 5)...)
	recs = append(recs, record.Record{ID: record.NewID(), Message: "malformed, no app", Malformed: true})
	publish(t, js, recs)
	// The same batches published again, as intake does after an error:
	// deduplicated.
	publish(t, js, recs[:2*publishBatch])
	got, msgs := storedRecords(t, s)
	if len(got) != len(recs) {
		t.Fatalf("stream holds %d records, want %d", len(got), len(recs))
	}
	// Batched: far fewer messages than records (web's 300 are 3 messages).
	if msgs > 6 {
		t.Fatalf("stream holds %d messages for %d records", msgs, len(recs))
	}
	perSubject := map[string]int{}
	for i, r := range got {
		perSubject[r.subject]++
		if r.ID != recs[i].ID || r.Message != recs[i].Message {
			t.Fatalf("record %d stored as %+v, want %+v", i, r.Record, recs[i])
		}
	}
	want := map[string]int{"berth.logs.web.web-0a0a0a": 300, "berth.logs.api.api-0a0a0a": 5, "berth.logs._._": 1}
	for subj, n := range want {
		if perSubject[subj] != n {
			t.Errorf("subject %s holds %d records, want %d (all: %v)", subj, perSubject[subj], n, perSubject)
		}
	}
}

func TestPublishSplitsLargeBatches(t *testing.T) {
	js, s := setup(t)
	p, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	recs := records("web", 2500)
	big := records("api", 3)
	for i := range big {
		big[i].Message = strings.Repeat("x", 200<<10) // two don't fit in one message
	}
	recs = append(recs, big...)
	if err := p.Publish(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	got, msgs := storedRecords(t, s)
	if len(got) != len(recs) {
		t.Fatalf("stream holds %d records, want %d", len(got), len(recs))
	}
	if msgs != 3+3 {
		t.Fatalf("stream holds %d messages, want 3 for 2500 small records and 3 for 3 large", msgs)
	}
	for i, r := range got {
		if r.ID != recs[i].ID {
			t.Fatalf("record %d is %s, want %s: order lost", i, r.ID, recs[i].ID)
		}
	}
}

type storedRecord struct {
	record.Record
	subject string
}

// storedRecords reads the whole stream in order and returns its records
// and how many messages held them.
func storedRecords(t *testing.T, s jetstream.Stream) ([]storedRecord, int) {
	t.Helper()
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []storedRecord
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		recs, bad := buffer.DecodeMessage(m.Data)
		if bad != 0 {
			t.Fatalf("message %d has %d undecodable lines", seq, bad)
		}
		for _, r := range recs {
			out = append(out, storedRecord{r, m.Subject})
		}
	}
	return out, int(info.State.Msgs)
}

func TestPublishFailsWhenNothingStoresIt(t *testing.T) {
	js := newJS(t, natstest.Start(t)) // no stream
	p, err := buffer.NewPublisher(js, buffer.PublisherConfig{AckTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), records("web", 3)); err == nil {
		t.Fatal("publish without a stream reported success")
	}
}
