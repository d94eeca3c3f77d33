package buffer_test

import (
	"context"
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
	ctx := context.Background()
	recs := append(records("web", 300), records("api", 5)...)
	recs = append(recs, record.Record{ID: record.NewID(), Message: "malformed, no app", Malformed: true})
	publish(t, js, recs)
	// Published again, as intake does after an error: deduplicated by ID.
	publish(t, js, recs[:150])

	info, err := s.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(recs)) {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, len(recs))
	}
	want := map[string]uint64{"berth.logs.web.web-0a0a0a": 300, "berth.logs.api.api-0a0a0a": 5, "berth.logs._._": 1}
	for subj, n := range want {
		if info.State.Subjects[subj] != n {
			t.Errorf("subject %s holds %d, want %d (all: %v)", subj, info.State.Subjects[subj], n, info.State.Subjects)
		}
	}
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
