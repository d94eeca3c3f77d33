package buffer_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natsserver"
	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
)

var fastRetry = buffer.ConsumerConfig{BatchSize: 50, FetchWait: 200 * time.Millisecond, NakDelay: 50 * time.Millisecond}

func TestStoreOutageLosesNothingAndIndexesEachRecordOnce(t *testing.T) {
	js, _ := setup(t)
	st := newStore()
	st.failing = true // Elasticsearch is down from the start
	recs := records("web", 1000)
	publish(t, js, recs[:500])
	c, _ := runConsumer(t, js, st, fastRetry)

	eventually(t, "several failed index attempts", func() bool { return c.Stats().IndexErrors >= 3 })
	if st.count() != 0 || c.Stats().Indexed != 0 {
		t.Fatal("records indexed while the store was down")
	}
	publish(t, js, recs[500:]) // logs keep coming during the outage
	st.set(func(s *store) { s.failing = false })

	eventually(t, "every record indexed", func() bool { return st.count() == len(recs) })
	st.assertAll(t, recs)
	eventually(t, "every record acknowledged", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	st.assertOnce(t)
	if s := c.Stats(); s.Indexed != uint64(len(recs)) {
		t.Fatalf("stats %+v", s)
	}
}

func TestConsumerResumesAfterRestart(t *testing.T) {
	js, _ := setup(t)
	st := newStore()
	recs := records("web", 600)
	publish(t, js, recs[:300]) // three messages of 100 records
	// One message per fetch: two go through, the third is inside Index when
	// the consumer stops.
	cfg := fastRetry
	cfg.BatchSize = 1
	st.set(func(s *store) { s.block, s.blockAfter = make(chan struct{}), 2 })
	_, stop := runConsumer(t, js, st, cfg)
	eventually(t, "a third index call in flight", func() bool { return st.callCount() == 3 })
	stop()
	if n := st.count(); n != 2*publishBatch {
		t.Fatalf("%d records indexed before the stop, want %d", n, 2*publishBatch)
	}
	publish(t, js, recs[300:]) // arrive while no consumer runs
	st.set(func(s *store) { s.block = nil })
	runConsumer(t, js, st, cfg)
	eventually(t, "every record indexed", func() bool { return st.count() == len(recs) })
	st.assertAll(t, recs)
	st.assertOnce(t)
}

func TestConsumerSurvivesNATSRestart(t *testing.T) {
	dir := t.TempDir()
	srv := natstest.StartDir(t, dir)
	js := newJS(t, srv)
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	recs := records("web", 200)
	publish(t, js, recs[:100])
	st := newStore()
	runConsumer(t, js, st, fastRetry)
	eventually(t, "first half indexed", func() bool { return st.count() == 100 })

	// The server goes away and comes back on the same port and store; the
	// client reconnects and the durable consumer continues.
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	srv.Shutdown()
	srv2, err := natsserver.Start(natsserver.Config{DataDir: dir, Port: port, ServerName: "berth-test"})
	if err != nil {
		t.Fatalf("restart on port %d: %v", port, err)
	}
	t.Cleanup(srv2.Shutdown)
	// IsConnected alone may still report the old connection.
	eventually(t, "client reconnected", func() bool { return js.Conn().Stats().Reconnects > 0 && js.Conn().IsConnected() })
	publish(t, js, recs[100:])
	eventually(t, "second half indexed", func() bool { return st.count() == 200 })
	st.assertAll(t, recs)
}

func TestUndecodableLinesAreDroppedNotRetried(t *testing.T) {
	js, _ := setup(t)
	ctx := context.Background()
	subj := buffer.Subject("web", "web-0a0a0a")
	if _, err := js.Publish(ctx, subj, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	recs := records("web", 3)
	// One good record among bad lines: the record is indexed, the lines dropped.
	good, err := json.Marshal(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, subj, append(append([]byte("{broken\n"), good...), "\n{}\n"...)); err != nil {
		t.Fatal(err)
	}
	publish(t, js, recs[1:])
	st := newStore()
	c, _ := runConsumer(t, js, st, fastRetry)
	eventually(t, "good records indexed", func() bool { return st.count() == 3 })
	eventually(t, "nothing pending", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	st.assertAll(t, recs)
	if s := c.Stats(); s.Undecodable != 3 || s.Indexed != 3 {
		t.Fatalf("stats %+v", s)
	}
}

// A message written before the buffer batched records holds one record
// JSON without a newline; it is still indexed.
func TestSingleRecordMessagesAreIndexed(t *testing.T) {
	js, _ := setup(t)
	recs := records("web", 3)
	for _, r := range recs {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(context.Background(), buffer.Subject(r.App, r.Instance), data, jetstream.WithMsgID(r.ID)); err != nil {
			t.Fatal(err)
		}
	}
	st := newStore()
	c, _ := runConsumer(t, js, st, fastRetry)
	eventually(t, "every record indexed", func() bool { return st.count() == len(recs) })
	st.assertAll(t, recs)
	// The consumer counts a batch once the store returned: poll for it.
	eventually(t, "stats count every record", func() bool { return c.Stats().Indexed == 3 })
	if s := c.Stats(); s.Undecodable != 0 || s.Indexed != 3 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNewConsumerValidates(t *testing.T) {
	if _, err := buffer.NewConsumer(nil, nil, buffer.ConsumerConfig{BatchSize: -1}); err == nil {
		t.Fatal("bad config accepted")
	}
}

func TestCrashedConsumerBatchIsRedelivered(t *testing.T) {
	srv := natstest.Start(t)
	js := newJS(t, srv)
	if _, err := buffer.EnsureStream(context.Background(), js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	recs := records("web", 120)
	publish(t, js, recs)
	cfg := fastRetry
	cfg.AckWait = time.Second

	// The first consumer takes a batch and dies inside Index: its connection
	// goes, nothing is acked or nakked.
	crashed := newStore()
	crashed.set(func(s *store) { s.block = make(chan struct{}) })
	crashedJS := newJS(t, srv)
	runConsumer(t, crashedJS, crashed, cfg)
	eventually(t, "a batch inside Index", func() bool { return crashed.callCount() == 1 })
	crashedJS.Conn().Close()

	st := newStore()
	runConsumer(t, js, st, cfg)
	eventually(t, "every record indexed by the survivor", func() bool { return st.count() == len(recs) })
	st.assertAll(t, recs)
}

// An Index slower than AckWait (a struggling Elasticsearch) is not
// delivered again meanwhile, not even to a second logpipe waiting for
// work: the consumer reports progress.
func TestSlowIndexIsNotRedelivered(t *testing.T) {
	js, _ := setup(t)
	st := newStore()
	release := make(chan struct{})
	st.block = release
	recs := records("web", 100)
	publish(t, js, recs)
	cfg := fastRetry
	cfg.AckWait = 300 * time.Millisecond
	runConsumer(t, js, st, cfg)
	eventually(t, "index started", func() bool { return st.callCount() == 1 })
	runConsumer(t, js, st, cfg) // another server's logpipe, fetching
	time.Sleep(5 * cfg.AckWait) // Index takes several AckWaits
	if info := consumerInfo(t, js); info.NumRedelivered != 0 {
		t.Fatalf("%d messages redelivered while still being indexed", info.NumRedelivered)
	}
	close(release)
	eventually(t, "every record indexed", func() bool { return st.count() == len(recs) })
	eventually(t, "every record acknowledged", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	st.assertOnce(t)
	if n := st.callCount(); n != 1 {
		t.Fatalf("Index called %d times, want 1", n)
	}
}
