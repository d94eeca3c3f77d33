package elastic_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/berth-dev/berth/events/natstest"
	"github.com/berth-dev/berth/logpipe/buffer"
	"github.com/berth-dev/berth/logpipe/elastic"
	"github.com/berth-dev/berth/logpipe/elastic/elastictest"
	"github.com/berth-dev/berth/logpipe/enrich"
	"github.com/berth-dev/berth/logpipe/intake"
	"github.com/berth-dev/berth/logpipe/search"
)

// run starts fn in the background until the test ends.
func run(t *testing.T, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, what, cond)
}

// TestPipelineSurvivesElasticsearchOutage sends Docker-format syslog
// through intake, enrichment and the JetStream buffer into Elasticsearch
// while Elasticsearch is down, then brings it back: every line is
// searchable once, enriched, in order; a live follow sees new lines.
func TestPipelineSurvivesElasticsearchOutage(t *testing.T) {
	ctx := context.Background()
	js, err := jetstream.New(natstest.Connect(t, natstest.Start(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buffer.EnsureStream(ctx, js, buffer.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	pub, err := buffer.NewPublisher(js, buffer.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cache := enrich.NewCache()
	cache.Set("web-3f2a1c", enrich.InstanceInfo{App: "web", Host: "h1"})
	cache.Set("web-0b0b0b", enrich.InstanceInfo{App: "web", Host: "h2"})
	in, err := intake.Listen(intake.Config{TCPAddr: "127.0.0.1:0", UDPAddr: "127.0.0.1:0"}, enrich.New(cache).Wrap(pub))
	if err != nil {
		t.Fatal(err)
	}
	run(t, in.Run)

	es := elastictest.Start(t)
	es.SetDown(true)
	store := newStore(t, es, func(c *elastic.Config) { c.MaxRetries = 1 })
	cons, err := buffer.NewConsumer(js, store, buffer.ConsumerConfig{NakDelay: 50 * time.Millisecond, FetchWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run(t, cons.Run)

	tcp, err := net.Dial("tcp", in.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	base := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	const n = 300
	var lines strings.Builder
	for i := range n {
		inst, pri := "web-3f2a1c", 30
		if i%3 == 0 {
			inst, pri = "web-0b0b0b", 27
		}
		ts := base.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000000Z07:00")
		fmt.Fprintf(&lines, "<%d>1 %s dockerhost web/%s 4711 web/%s - request %03d done\n", pri, ts, inst, inst, i)
	}
	if _, err := tcp.Write([]byte(lines.String())); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "index attempts to fail", func() bool { return cons.Stats().IndexErrors >= 2 })
	if in.Stats().Published != n || es.Count("berth-logs-*") != 0 {
		t.Fatalf("during the outage: intake %+v, %d documents", in.Stats(), es.Count("berth-logs-*"))
	}
	es.SetDown(false)

	var got []string
	waitFor(t, "every line searchable", func() bool {
		recs, err := store.Search(ctx, search.Query{App: "web", Limit: 1000})
		if err != nil || len(recs) != n {
			return false
		}
		got = got[:0]
		for i, r := range recs {
			wantHost, wantStream := "h1", "stdout"
			if i%3 == 0 {
				wantHost, wantStream = "h2", "stderr"
			}
			if r.Host != wantHost || r.Stream != wantStream || r.App != "web" {
				t.Fatalf("record %d not enriched: %+v", i, r)
			}
			got = append(got, r.Message)
		}
		return true
	})
	for i, m := range got {
		if want := fmt.Sprintf("request %03d done", i); m != want {
			t.Fatalf("line %d is %q, want %q", i, m, want)
		}
	}
	if es.Count("berth-logs-*") != n {
		t.Fatalf("%d documents, want %d", es.Count("berth-logs-*"), n)
	}
	errs, err := store.Search(ctx, search.Query{App: "web", Instance: "web-0b0b0b", Text: "request 042"})
	if err != nil || len(errs) != 1 || errs[0].Severity != "err" {
		t.Fatalf("search by instance and text: %+v %v", errs, err)
	}

	// Live follow, as `berth logs -f web` does.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tail, err := buffer.Follow(fctx, js, "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.Dial("udp", in.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	fmt.Fprintf(udp, "<30>%s dockerhost web/web-3f2a1c[4711]: live line\n", time.Now().Format(time.Stamp))
	select {
	case r := <-tail.C:
		if r.Message != "live line" || r.Host != "h1" {
			t.Fatalf("followed %+v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("live line not followed")
	}
}
